/* test-pmap.vala: pmap-glib from Vala, through the generated VAPI
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

errordomain TestError {
    UNLUCKY,
}

/* The thread that runs the tests, where every signal and callback of a map
 * must arrive. */
static unowned Thread<void*> main_thread;

static Variant[] int64_inputs (int n, int first = 0) {
    var items = new Variant[n];
    for (int i = 0; i < n; i++)
        items[i] = new Variant.int64 (first + i);
    return items;
}

static Variant[] int64_values (int64[] values) {
    var items = new Variant[values.length];
    for (int i = 0; i < values.length; i++)
        items[i] = new Variant.int64 (values[i]);
    return items;
}

static void assert_int64_results (GenericArray<Variant> results, int64[] expected) {
    assert_cmpuint (results.length, EQ, expected.length);
    for (int i = 0; i < expected.length; i++)
        assert_cmpvariant (results[i], new Variant.int64 (expected[i]));
}

static void assert_error_message (Error error, Quark domain, int code, string message) {
    assert_error (error, domain, code);
    assert_cmpstr (error.message, EQ, message);
}

/* A map function that tells how many of its calls overlapped: each call
 * sleeps, and the largest number of calls running at once is kept. */
class ConcurrencyProbe {
    int running;
    int max_running;

    public Variant? run (Variant input) throws Error {
        int now = AtomicInt.add (ref running, 1) + 1;
        int seen = 0;

        do {
            seen = AtomicInt.get (ref max_running);
        } while (now > seen && !AtomicInt.compare_and_exchange (ref max_running, seen, now));

        Thread.usleep ((ulong) input.get_int64 () * 1000);
        AtomicInt.add (ref running, -1);
        return input;
    }

    public int get_max_running () {
        return AtomicInt.get (ref max_running);
    }
}

/* Records every progress signal of an executor, and checks that each one
 * arrives on the thread that runs the tests and, for an asynchronous map,
 * from its main context. */
class ProgressRecorder {
    public uint n_signals;
    public uint last_done;
    public uint last_tasks;
    MainContext? context;

    public ProgressRecorder (Pmap.Executor executor, MainContext? context = null) {
        this.context = context;
        executor.progress.connect (on_progress);
    }

    void on_progress (Pmap.Executor executor, uint n_done, uint n_tasks) {
        assert_true (Thread.self<void*> () == main_thread);
        if (context != null)
            assert_true (context.is_owner ());
        assert_cmpuint (n_done, GT, last_done);
        assert_cmpuint (n_done, LE, n_tasks);
        n_signals++;
        last_done = n_done;
        last_tasks = n_tasks;
    }

    public void assert_finished (uint n_tasks) {
        assert_cmpuint (n_signals, GE, 1);
        assert_cmpuint (last_done, EQ, n_tasks);
        assert_cmpuint (last_tasks, EQ, n_tasks);
    }
}

static void test_ordered_results () {
    const int N = 5000;
    var executor = new Pmap.Executor ();
    var expected = new int64[N];

    executor.n_jobs = 2;
    for (int i = 0; i < N; i++)
        expected[i] = 3 * (int64) i * i - 7;

    try {
        var results = executor.map (int64_inputs (N), (input) => {
            int64 x = input.get_int64 ();
            return new Variant.int64 (3 * x * x - 7);
        });
        assert_int64_results (results, expected);

        /* The array owns its elements: one taken out outlives it, one put
         * in goes with it. */
        Variant first = results.steal_index (0);
        results.add (new Variant.string ("appended"));
        assert_cmpuint (results.length, EQ, N);
        assert_cmpvariant (results[N - 1], new Variant.string ("appended"));
        results = null;
        assert_cmpvariant (first, new Variant.int64 (-7));
    } catch (Error error) {
        assert_no_error (error);
    }
}

static void test_n_jobs () {
    var executor = new Pmap.Executor ();
    uint n_processors = get_num_processors ();

    assert_cmpint (executor.n_jobs, EQ, -1);
    assert_cmpuint (executor.get_effective_n_jobs (), EQ, n_processors);
    executor.n_jobs = -2;
    assert_cmpuint (executor.get_effective_n_jobs (), EQ, uint.max (1, n_processors - 1));

    try {
        /* Two jobs run two tasks at once. */
        var probe = new ConcurrencyProbe ();
        executor.n_jobs = 2;
        assert_cmpuint (executor.get_effective_n_jobs (), EQ, 2);
        var results = executor.map (int64_values ({ 100, 100, 100, 100 }), probe.run);
        assert_int64_results (results, { 100, 100, 100, 100 });
        assert_cmpint (probe.get_max_running (), EQ, 2);

        /* One job runs the tasks in turn, on the calling thread. */
        probe = new ConcurrencyProbe ();
        executor.n_jobs = 1;
        results = executor.map (int64_values ({ 20, 20, 20, 20 }), (input) => {
            assert_true (Thread.self<void*> () == main_thread);
            return probe.run (input);
        });
        assert_int64_results (results, { 20, 20, 20, 20 });
        assert_cmpint (probe.get_max_running (), EQ, 1);

        /* More jobs than tasks. */
        executor.n_jobs = 64;
        assert_cmpuint (executor.get_effective_n_jobs (), EQ, 64);
        results = executor.map (int64_inputs (3, 5), (input) => new Variant.int64 (-input.get_int64 ()));
        assert_int64_results (results, { -5, -6, -7 });

        /* No task at all. */
        int calls = 0;
        results = executor.map (new Variant[0], (input) => {
            AtomicInt.inc (ref calls);
            return input;
        });
        assert_cmpuint (results.length, EQ, 0);
        assert_cmpint (calls, EQ, 0);
    } catch (Error error) {
        assert_no_error (error);
    }
}

/* Maps @n_items inputs, the one at @failing throwing, and returns how
 * many calls the map made. */
static int map_with_failure (Pmap.Executor executor, int n_items, int failing) {
    int calls = 0;

    try {
        executor.map (int64_inputs (n_items), (input) => {
            AtomicInt.inc (ref calls);
            Thread.usleep (500);
            if (input.get_int64 () == failing)
                throw new TestError.UNLUCKY ("%d is unlucky", failing);
            return input;
        });
        assert_not_reached ();
    } catch (TestError.UNLUCKY error) {
        assert_cmpstr (error.message, EQ, "Task %d failed: %d is unlucky".printf (failing, failing));
    } catch (Error error) {
        assert_no_error (error);
    }

    return AtomicInt.get (ref calls);
}

static void test_error () {
    var executor = new Pmap.Executor ();

    /* In turn, nothing runs after the failing task. */
    executor.n_jobs = 1;
    assert_cmpint (map_with_failure (executor, 1000, 37), EQ, 38);

    /* On two threads, the other one stops at its next task. */
    executor.n_jobs = 2;
    assert_cmpint (map_with_failure (executor, 1000, 5), LT, 1000);
}

static void test_cancel_before () {
    var executor = new Pmap.Executor ();
    var cancellable = new Cancellable ();
    int calls = 0;

    cancellable.cancel ();
    try {
        executor.map (int64_inputs (10), (input) => {
            AtomicInt.inc (ref calls);
            return input;
        }, cancellable);
        assert_not_reached ();
    } catch (Error error) {
        assert_error (error, IOError.quark (), IOError.CANCELLED);
    }
    assert_cmpint (calls, EQ, 0);
}

static void test_cancel_during () {
    const int N = 500;
    var executor = new Pmap.Executor ();
    var cancellable = new Cancellable ();
    int calls = 0;

    executor.n_jobs = 2;

    /* Another thread cancels once some tasks have run, as a user would
     * while the map blocks this one. */
    var canceller = new Thread<void*> ("canceller", () => {
        int64 deadline = get_monotonic_time () + 10 * TimeSpan.SECOND;
        while (AtomicInt.get (ref calls) < 10 && get_monotonic_time () < deadline)
            Thread.usleep (1000);
        cancellable.cancel ();
        return null;
    });

    try {
        executor.map (int64_inputs (N), (input) => {
            AtomicInt.inc (ref calls);
            Thread.usleep (2000);
            return input;
        }, cancellable);
        assert_not_reached ();
    } catch (Error error) {
        assert_error (error, IOError.quark (), IOError.CANCELLED);
    }
    canceller.join ();

    int n_calls = AtomicInt.get (ref calls);
    assert_cmpint (n_calls, GE, 10);
    assert_cmpint (n_calls, LT, N);
}

static void test_progress () {
    const int N = 3000;
    var executor = new Pmap.Executor ();
    var recorder = new ProgressRecorder (executor);

    executor.n_jobs = 2;
    try {
        var results = executor.map (int64_inputs (N), (input) => new Variant.int64 (input.get_int64 () + 1));
        assert_cmpuint (results.length, EQ, N);
    } catch (Error error) {
        assert_no_error (error);
    }
    recorder.assert_finished (N);
}

static MainLoop? async_test_loop;

static void async_test_done (Object? source, AsyncResult result) {
    async_test_loop.quit ();
}

delegate void AsyncTestStart ();

/* Runs an asynchronous test on a main context of its own, made the
 * thread-default one, so that the test can tell that a map reports to the
 * context of its caller rather than to the global default one. The test
 * starts with async_test_done() as its callback. */
static void run_async_test (AsyncTestStart start) {
    var context = new MainContext ();

    async_test_loop = new MainLoop (context);
    context.push_thread_default ();
    start ();
    async_test_loop.run ();
    context.pop_thread_default ();
    async_test_loop = null;
}

async void check_async_results () {
    const int N = 2000;
    var context = MainContext.get_thread_default ();
    var executor = new Pmap.Executor ();
    var recorder = new ProgressRecorder (executor, context);
    var expected = new int64[N];

    executor.n_jobs = 2;
    for (int i = 0; i < N; i++)
        expected[i] = 2 * (int64) i;

    try {
        var results = yield executor.map_async (int64_inputs (N), (input) => new Variant.int64 (2 * input.get_int64 ()));
        assert_true (context.is_owner ());
        assert_int64_results (results, expected);
        recorder.assert_finished (N);

        results = yield executor.map_async (new Variant[0], (input) => input);
        assert_cmpuint (results.length, EQ, 0);
    } catch (Error error) {
        assert_no_error (error);
    }
}

static void test_async () {
    run_async_test (() => check_async_results.begin (async_test_done));
}

async void check_async_errors () {
    var executor = new Pmap.Executor ();
    var cancellable = new Cancellable ();
    int calls = 0;

    executor.n_jobs = 2;
    try {
        yield executor.map_async (int64_inputs (100), (input) => {
            if (input.get_int64 () == 42)
                throw new TestError.UNLUCKY ("42 again");
            return input;
        });
        assert_not_reached ();
    } catch (TestError.UNLUCKY error) {
        assert_cmpstr (error.message, EQ, "Task 42 failed: 42 again");
    } catch (Error error) {
        assert_no_error (error);
    }

    /* Cancelled from the main loop while the tasks run. */
    var timeout = new TimeoutSource (50);
    timeout.set_callback (() => {
        cancellable.cancel ();
        return Source.REMOVE;
    });
    timeout.attach (MainContext.get_thread_default ());

    try {
        yield executor.map_async (int64_inputs (500), (input) => {
            AtomicInt.inc (ref calls);
            Thread.usleep (2000);
            return input;
        }, cancellable);
        assert_not_reached ();
    } catch (Error error) {
        assert_error (error, IOError.quark (), IOError.CANCELLED);
    }
    assert_cmpint (AtomicInt.get (ref calls), LT, 500);
}

static void test_async_errors () {
    run_async_test (() => check_async_errors.begin (async_test_done));
}

/* Registers a function that adds @offset, from a scope of its own, so that
 * only the registry keeps @marker alive through the function's closure. */
static void register_adder (string name, int64 offset, Object marker) {
    Pmap.register_function (name, (input) => {
        assert_nonnull (marker);
        return new Variant.int64 (input.get_int64 () + offset);
    });
}

static bool list_has (string name) {
    return strv_contains (Pmap.list_functions (), name);
}

static void test_registry () {
    var executor = new Pmap.Executor ();
    var marker = new Object ();

    executor.n_jobs = 2;
    register_adder ("vala.add", 1000, marker);
    assert_cmpuint (marker.ref_count, EQ, 2);
    assert_true (list_has ("vala.add"));

    try {
        var results = executor.map_by_name ("vala.add", int64_inputs (4));
        assert_int64_results (results, { 1000, 1001, 1002, 1003 });

        /* Registering the name again replaces the function and frees the
         * old one. */
        register_adder ("vala.add", -1, new Object ());
        assert_cmpuint (marker.ref_count, EQ, 1);
        results = executor.map_by_name ("vala.add", int64_inputs (2));
        assert_int64_results (results, { -1, 0 });
    } catch (Error error) {
        assert_no_error (error);
    }

    assert_true (Pmap.unregister_function ("vala.add"));
    assert_false (list_has ("vala.add"));
    assert_false (Pmap.unregister_function ("vala.add"));

    try {
        executor.map_by_name ("vala.add", int64_inputs (2));
        assert_not_reached ();
    } catch (Error error) {
        assert_error (error, Pmap.Error.quark (), Pmap.Error.UNKNOWN_FUNCTION);
        assert_true ("vala.add" in error.message);
    }
}

static void test_list_sorted () {
    Pmap.register_function ("vala.zz", (input) => input);
    Pmap.register_function ("vala.aa", (input) => input);

    var names = Pmap.list_functions ();
    assert_cmpuint (names.length, GE, 2);
    for (int i = 1; i < names.length; i++)
        assert_cmpint (strcmp (names[i - 1], names[i]), LT, 0);

    assert_true (Pmap.unregister_function ("vala.zz"));
    assert_true (Pmap.unregister_function ("vala.aa"));
}

static void test_load_module () {
    string? path = Environment.get_variable ("PMAP_TEST_MODULE");
    var executor = new Pmap.Executor ();

    assert_nonnull (path);
    executor.n_jobs = 1;
    try {
        assert_true (Pmap.load_module (path));
        assert_true (list_has ("test.square"));
        assert_true (list_has ("test.fail-on-negative"));

        var results = executor.map_by_name ("test.square", int64_inputs (5, -2));
        assert_int64_results (results, { 4, 1, 0, 1, 4 });
    } catch (Error error) {
        assert_no_error (error);
    }

    try {
        executor.map_by_name ("test.fail-on-negative", int64_values ({ 1, 2, -3, 4 }));
        assert_not_reached ();
    } catch (Error error) {
        assert_error_message (error, IOError.quark (), IOError.INVALID_ARGUMENT, "Task 2 failed: negative input -3");
    }

    try {
        Pmap.load_module ("/nonexistent/libpmap-nothing.so");
        assert_not_reached ();
    } catch (Error error) {
        assert_error (error, Pmap.Error.quark (), Pmap.Error.MODULE);
    }
}

async void check_async_by_name () {
    var executor = new Pmap.Executor ();

    try {
        assert_true (Pmap.load_module (Environment.get_variable ("PMAP_TEST_MODULE")));
        var results = yield executor.map_by_name_async ("test.square", int64_inputs (4, 10));
        assert_int64_results (results, { 100, 121, 144, 169 });
    } catch (Error error) {
        assert_no_error (error);
    }

    try {
        yield executor.map_by_name_async ("vala.no-such-function", int64_inputs (1));
        assert_not_reached ();
    } catch (Error error) {
        assert_error (error, Pmap.Error.quark (), Pmap.Error.UNKNOWN_FUNCTION);
    }
}

static void test_async_by_name () {
    run_async_test (() => check_async_by_name.begin (async_test_done));
}

int main (string[] args) {
    /* The tests choose the backend and the number of jobs themselves. */
    Environment.unset_variable ("PMAP_BACKEND");
    Environment.unset_variable ("PMAP_N_JOBS");

    Test.init (ref args);
    main_thread = Thread.self<void*> ();

    Test.add_func ("/Pmap/Vala/ordered-results", test_ordered_results);
    Test.add_func ("/Pmap/Vala/n-jobs", test_n_jobs);
    Test.add_func ("/Pmap/Vala/error", test_error);
    Test.add_func ("/Pmap/Vala/cancel-before", test_cancel_before);
    Test.add_func ("/Pmap/Vala/cancel-during", test_cancel_during);
    Test.add_func ("/Pmap/Vala/progress", test_progress);
    Test.add_func ("/Pmap/Vala/async", test_async);
    Test.add_func ("/Pmap/Vala/async-errors", test_async_errors);
    Test.add_func ("/Pmap/Vala/async-by-name", test_async_by_name);
    Test.add_func ("/Pmap/Vala/registry", test_registry);
    Test.add_func ("/Pmap/Vala/list-sorted", test_list_sorted);
    Test.add_func ("/Pmap/Vala/load-module", test_load_module);
    add_backend_tests ();
    add_serializer_tests ();
    add_serialized_tests ();

    return Test.run ();
}
