/* test-serializers.vala: serializers, wrapped functions and the processes
 * backend from Vala, through the generated VAPI; part of test-pmap-vala,
 * whose helpers it uses
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

static Pmap.Executor executor_on (string backend, string serializer = "general") throws Error {
    var executor = new Pmap.Executor ();

    executor.backend = Pmap.Backend.create (backend);
    executor.serializer = Pmap.Serializer.create (serializer);
    executor.n_jobs = 2;
    return executor;
}

static int64[] squares (int n) {
    var expected = new int64[n];
    for (int i = 0; i < n; i++)
        expected[i] = (int64) i * i;
    return expected;
}

/* A function without a closure: it has no user data, and lives in this
 * program. */
static Variant? double_input (Variant input) throws Error {
    return new Variant.int64 (2 * input.get_int64 ());
}

/* Encodes an int64 x as ("vala", x), refusing negative ones. */
class TaggingSerializer : Pmap.Serializer {
    public int n_encoded;
    public int n_decoded;

    public TaggingSerializer () {
        Object (name: "vala-tagging");
    }

    public override Variant encode (Variant value) throws Error {
        AtomicInt.inc (ref n_encoded);
        if (value.get_int64 () < 0)
            throw new Pmap.Error.NOT_SERIALIZABLE ("%s stays home", value.get_int64 ().to_string ());
        return new Variant ("(sx)", "vala", value.get_int64 ());
    }

    public override Variant decode (Variant data) throws Error {
        int64 x;

        AtomicInt.inc (ref n_decoded);
        data.get ("(sx)", null, out x);
        return new Variant.int64 (x);
    }
}

static void test_serializer_create () {
    try {
        var general = Pmap.Serializer.create ("general");
        assert_cmpstr (general.name, EQ, "general");
        assert_true (general.functions_by_value);

        var variant = Pmap.Serializer.create ("variant");
        assert_cmpstr (variant.get_name (), EQ, "variant");
        assert_false (variant.get_functions_by_value ());
    } catch (Error error) {
        assert_no_error (error);
    }

    try {
        Pmap.Serializer.create ("pickle");
        assert_not_reached ();
    } catch (Error error) {
        assert_error (error, Pmap.Error.quark (), Pmap.Error.UNKNOWN_SERIALIZER);
        assert_true ("“pickle”" in error.message);
    }
}

static void test_serializer_subclass () {
    var serializer = new TaggingSerializer ();

    assert_cmpstr (serializer.name, EQ, "vala-tagging");
    assert_true (serializer.functions_by_value);
    try {
        var encoded = serializer.encode (new Variant.int64 (21));
        assert_cmpvariant (encoded, new Variant ("(sx)", "vala", (int64) 21));
        assert_cmpvariant (serializer.decode (encoded), new Variant.int64 (21));
    } catch (Error error) {
        assert_no_error (error);
    }

    try {
        serializer.encode (new Variant.int64 (-1));
        assert_not_reached ();
    } catch (Error error) {
        assert_error (error, Pmap.Error.quark (), Pmap.Error.NOT_SERIALIZABLE);
        assert_cmpstr (error.message, EQ, "-1 stays home");
    }
    assert_cmpint (serializer.n_encoded, EQ, 2);
    assert_cmpint (serializer.n_decoded, EQ, 1);

    /* Nothing travels on the threads backend. */
    try {
        var executor = executor_on ("threads");
        executor.serializer = serializer;
        var results = executor.map (int64_inputs (10, -5), double_input);
        assert_cmpuint (results.length, EQ, 10);
    } catch (Error error) {
        assert_no_error (error);
    }
    assert_cmpint (serializer.n_encoded, EQ, 2);
}

static void test_executor_serializer () {
    var executor = new Pmap.Executor ();
    uint notified = 0;

    executor.notify["serializer"].connect (() => notified++);
    assert_nonnull (executor.serializer);
    assert_cmpstr (executor.serializer.name, EQ, "general");

    try {
        var variant = Pmap.Serializer.create ("variant");
        executor.serializer = variant;
        executor.set_serializer (variant);
        assert_true (executor.get_serializer () == variant);
        assert_cmpuint (notified, EQ, 1);
    } catch (Error error) {
        assert_no_error (error);
    }

    executor.serializer = null;
    assert_cmpstr (executor.serializer.name, EQ, "general");
    assert_cmpuint (notified, EQ, 2);
}

/* Where tasks run in this process, a wrapped lambda runs with its closure,
 * whatever the serializer. */
static void test_wrapped_in_process () {
    foreach (unowned string backend in new string[] { "threads", "sequential" }) {
        int calls = 0;
        var wrapped = new Pmap.Wrapped ((input) => {
            AtomicInt.inc (ref calls);
            if (backend == "sequential")
                assert_true (Thread.self<void*> () == main_thread);
            return new Variant.int64 (input.get_int64 () * input.get_int64 ());
        });

        try {
            var executor = executor_on (backend, "variant");
            assert_int64_results (executor.map_wrapped (wrapped, int64_inputs (100)), squares (100));
            assert_int64_results (executor.map_wrapped (wrapped, int64_inputs (3)), squares (3));
        } catch (Error error) {
            assert_no_error (error);
        }
        assert_cmpint (AtomicInt.get (ref calls), EQ, 103);
    }
}

async void check_map_wrapped_async () {
    var context = MainContext.get_thread_default ();
    var wrapped = new Pmap.Wrapped (double_input);

    try {
        var results = yield executor_on ("threads").map_wrapped_async (wrapped, int64_inputs (50));
        assert_true (context.is_owner ());
        var expected = new int64[50];
        for (int i = 0; i < 50; i++)
            expected[i] = 2 * i;
        assert_int64_results (results, expected);
    } catch (Error error) {
        assert_no_error (error);
    }
}

static void test_map_wrapped_async () {
    run_async_test (() => check_map_wrapped_async.begin (async_test_done));
}

/* This program does not call Pmap.host_workers (): its workers run the
 * pmap-worker helper, which has none of its functions. A wrapped lambda
 * has a closure, which is user data; a function without one still lives
 * in this program. */
static void test_wrapped_on_processes () {
    string[] phrases = { "user data", "pmap_host_workers()" };
    int64 factor = 2;
    var wrapped = new Pmap.Wrapped[] {
        new Pmap.Wrapped ((input) => new Variant.int64 (factor * input.get_int64 ())),
        new Pmap.Wrapped (double_input),
    };

    for (int i = 0; i < wrapped.length; i++) {
        try {
            executor_on ("processes", "variant").map_wrapped (wrapped[i], int64_inputs (10));
            assert_not_reached ();
        } catch (Error error) {
            assert_error (error, Pmap.Error.quark (), Pmap.Error.NOT_SERIALIZABLE);
            assert_true (phrases[i] in error.message);
        }
    }
}

/* A module's function reaches the pmap-worker helper by its name and the
 * module, with either serializer. */
static void test_module_function_on_processes () {
    try {
        assert_true (Pmap.load_module (Environment.get_variable ("PMAP_TEST_MODULE")));
        foreach (unowned string serializer in new string[] { "general", "variant" }) {
            var results = executor_on ("processes", serializer).map_by_name ("test.square", int64_inputs (100));
            assert_int64_results (results, squares (100));
        }
    } catch (Error error) {
        assert_no_error (error);
    }
}

static void test_shutdown () {
    try {
        assert_true (Pmap.load_module (Environment.get_variable ("PMAP_TEST_MODULE")));
        foreach (unowned string backend in new string[] { "sequential", "threads", "processes" }) {
            var executor = executor_on (backend);
            for (int round = 0; round < 2; round++) {
                assert_int64_results (executor.map_by_name ("test.square", int64_inputs (20)), squares (20));
                executor.backend.shutdown ();
            }
        }
    } catch (Error error) {
        assert_no_error (error);
    }
}

void add_serializer_tests () {
    Test.add_func ("/Pmap/Vala/serializer/create", test_serializer_create);
    Test.add_func ("/Pmap/Vala/serializer/subclass", test_serializer_subclass);
    Test.add_func ("/Pmap/Vala/serializer/executor-property", test_executor_serializer);
    Test.add_func ("/Pmap/Vala/wrapped/in-process", test_wrapped_in_process);
    Test.add_func ("/Pmap/Vala/wrapped/async", test_map_wrapped_async);
    Test.add_func ("/Pmap/Vala/wrapped/processes", test_wrapped_on_processes);
    Test.add_func ("/Pmap/Vala/processes/module-function", test_module_function_on_processes);
    Test.add_func ("/Pmap/Vala/processes/shutdown", test_shutdown);
}
