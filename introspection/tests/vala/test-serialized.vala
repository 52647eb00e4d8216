/* test-serialized.vala: functions given as data, registered serializers,
 * the worker command, the timeout and the JavaScript module's URI, from
 * Vala; part of test-pmap-vala, whose helpers it uses
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Functions are the data ("add", k): x → x + k. */
class ArithSerializer : Pmap.Serializer {
    public override Variant call (Variant function, Variant input) throws Error {
        string op;
        int64 k;

        function.get ("(sx)", out op, out k);
        if (op != "add")
            throw new IOError.INVALID_DATA ("no operation %s", op);
        return new Variant.int64 (input.get_int64 () + k);
    }
}

static void test_serialized_in_process () {
    try {
        Pmap.Serializer.register ("vala-arith", typeof (ArithSerializer));
        var arith = Pmap.Serializer.create ("vala-arith");
        assert_true (arith is ArithSerializer);
        assert_true (arith.name == "vala-arith");
        assert_true (arith.call (new Variant ("(sx)", "add", (int64) 5), new Variant.int64 (1)).get_int64 () == 6);

        var wrapped = new Pmap.Wrapped.serialized (arith, new Variant ("(sx)", "add", (int64) 100));
        foreach (unowned string backend in new string[] { "sequential", "threads" }) {
            var results = executor_on (backend).map_wrapped (wrapped, int64_inputs (30));
            var expected = new int64[30];
            for (int i = 0; i < 30; i++)
                expected[i] = i + 100;
            assert_int64_results (results, expected);
        }

        var unknown = new Pmap.Wrapped.serialized (arith, new Variant ("(sx)", "divide", (int64) 2));
        executor_on ("sequential").map_wrapped (unknown, int64_inputs (3));
        assert_not_reached ();
    } catch (IOError.INVALID_DATA error) {
        assert_true ("no operation divide" in error.message);
    } catch (Error error) {
        assert_no_error (error);
    }
}

static void test_worker_command_and_timeout () {
    try {
        assert_true (Pmap.load_module (Environment.get_variable ("PMAP_TEST_MODULE")));
        var executor = executor_on ("processes");
        executor.timeout = 0.5;
        assert_true (executor.timeout == 0.5);

        /* Workers started through env(1) are workers all the same. */
        Pmap.set_worker_command ({ "env", "PMAP_VALA_TEST=1",
                                   Environment.get_variable ("PMAP_WORKER_PATH") });
        assert_int64_results (executor.map_by_name ("test.square", int64_inputs (20)), squares (20));
        Pmap.set_worker_command (null);

        var inputs = new Variant[] { new Variant.int64 (10), new Variant.int64 (60000) };
        executor.map_by_name ("test.sleep-ms", inputs);
        assert_not_reached ();
    } catch (Pmap.Error.TIMED_OUT error) {
        assert_true (error.message.has_prefix ("Task 1 failed: "));
    } catch (Error error) {
        assert_no_error (error);
    }
}

static void test_recycling_properties () {
    try {
        var backend = Pmap.Backend.create ("processes");
        backend.max_tasks_per_worker = 10;
        backend.max_worker_memory = (uint64) 1 << 30;
        assert_true (backend.get_max_tasks_per_worker () == 10);
        assert_true (backend.get_max_worker_memory () == (uint64) 1 << 30);
        assert_true (backend.idle_timeout == 300);
        backend.set_idle_timeout (7);
        assert_true (backend.get_idle_timeout () == 7);
        var executor = new Pmap.Executor ();
        executor.retries = 2;
        assert_true (executor.get_retries () == 2);
        assert_true (executor.max_nbytes == 1 << 20);
        executor.set_max_nbytes (1 << 16);
        assert_true (executor.get_max_nbytes () == 1 << 16);
    } catch (Error error) {
        assert_no_error (error);
    }
}

/* Bytes from Pmap.bytes_new_shared () that every input holds: each worker
 * maps the parent's memfd once, with no copy. */
static void test_shared_bytes () {
    try {
        assert_true (Pmap.load_module (Environment.get_variable ("PMAP_TEST_MODULE")));
        var payload = new uint8[2 << 20];
        for (int i = 0; i < payload.length; i++)
            payload[i] = (uint8) i;
        var shared = Pmap.bytes_new_shared (payload);
        assert_true (Pmap.bytes_is_shared (shared));
        assert_false (Pmap.bytes_is_shared (new Bytes (payload)));
        assert_true (shared.compare (new Bytes (payload)) == 0);

        var value = new Variant.from_bytes (VariantType.BYTESTRING, shared, true);
        var inputs = new Variant[20];
        for (int i = 0; i < inputs.length; i++)
            inputs[i] = new Variant.tuple ({ new Variant.uint32 (i), new Variant.string (""), value });
        var executor = executor_on ("processes");
        executor.batch_size = 1;
        var address_of = new HashTable<int64?, uint64?> (int64_hash, int64_equal);
        foreach (var result in executor.map_by_name ("test.inspect-bytes", inputs)) {
            int64 pid;
            uint64 address;
            string mapping;
            uint32 n_shared;
            result.get ("(xtsu)", out pid, out address, out mapping, out n_shared);
            assert_true ("memfd:pmap-bytes" in mapping);
            assert_true (n_shared == 1);
            if (!address_of.contains (pid))
                address_of[pid] = address;
            assert_true (address_of[pid] == address);
        }
        assert_true (address_of.size () >= 1 && address_of.size () <= 2);
    } catch (Error error) {
        assert_no_error (error);
    }
}

static Variant? fail_on_odd (Variant input) throws Error {
    if (input.get_int64 () % 2 != 0)
        throw new IOError.INVALID_DATA ("%lld is odd", input.get_int64 ());
    return new Variant.int64 (10 * input.get_int64 ());
}

static void test_map_outcomes () {
    try {
        var outcomes = executor_on ("threads").map_outcomes (int64_inputs (6), fail_on_odd);
        assert_true (outcomes.length == 6);
        for (int i = 0; i < 6; i++) {
            var outcome = outcomes[i];
            assert_true (outcome.succeeded () == (i % 2 == 0));
            try {
                assert_true (outcome.get_value ().get_int64 () == 10 * i);
                assert_true (i % 2 == 0);
            } catch (IOError.INVALID_DATA error) {
                assert_true (error.message == "Task %d failed: %d is odd".printf (i, i));
            }
        }
    } catch (Error error) {
        assert_no_error (error);
    }
}

async void check_map_outcomes_async () {
    try {
        var outcomes = yield executor_on ("threads").map_outcomes_async (int64_inputs (6), fail_on_odd);
        assert_true (outcomes.length == 6);
        for (int i = 0; i < 6; i++)
            assert_true (outcomes[i].succeeded () == (i % 2 == 0));
    } catch (Error error) {
        assert_no_error (error);
    }
}

static void test_map_outcomes_async () {
    run_async_test (() => check_map_outcomes_async.begin (async_test_done));
}

/* Wrapped functions give outcomes too: every task of a failing function
 * fails alone, with its own error. */
static void test_map_wrapped_outcomes () {
    try {
        Pmap.Serializer.register ("vala-arith", typeof (ArithSerializer));
        var arith = Pmap.Serializer.create ("vala-arith");
        var divide = new Pmap.Wrapped.serialized (arith, new Variant ("(sx)", "divide", (int64) 2));
        var outcomes = executor_on ("threads").map_wrapped_outcomes (divide, int64_inputs (4));
        assert_true (outcomes.length == 4);
        for (int i = 0; i < 4; i++) {
            assert_false (outcomes[i].succeeded ());
            try {
                outcomes[i].get_value ();
                assert_not_reached ();
            } catch (IOError.INVALID_DATA error) {
                assert_true (error.message == "Task %d failed: no operation divide".printf (i));
            }
        }
    } catch (Error error) {
        assert_no_error (error);
    }
}

async void check_map_wrapped_outcomes_async () {
    try {
        var arith = Pmap.Serializer.create ("vala-arith");
        var add = new Pmap.Wrapped.serialized (arith, new Variant ("(sx)", "add", (int64) 7));
        var outcomes = yield executor_on ("threads").map_wrapped_outcomes_async (add, int64_inputs (5));
        assert_true (outcomes.length == 5);
        for (int i = 0; i < 5; i++)
            assert_true (outcomes[i].get_value ().get_int64 () == i + 7);
    } catch (Error error) {
        assert_no_error (error);
    }
}

static void test_map_wrapped_outcomes_async () {
    Pmap.Serializer.register ("vala-arith", typeof (ArithSerializer));
    run_async_test (() => check_map_wrapped_outcomes_async.begin (async_test_done));
}

static void test_javascript_module () {
    assert_true (Pmap.get_javascript_module ().has_prefix ("resource:///"));
}

void add_serialized_tests () {
    Test.add_func ("/Pmap/Vala/serialized/in-process", test_serialized_in_process);
    Test.add_func ("/Pmap/Vala/serialized/worker-command-and-timeout", test_worker_command_and_timeout);
    Test.add_func ("/Pmap/Vala/recycling-and-retries", test_recycling_properties);
    Test.add_func ("/Pmap/Vala/shared-bytes", test_shared_bytes);
    Test.add_func ("/Pmap/Vala/map-outcomes", test_map_outcomes);
    Test.add_func ("/Pmap/Vala/map-outcomes-async", test_map_outcomes_async);
    Test.add_func ("/Pmap/Vala/map-wrapped-outcomes", test_map_wrapped_outcomes);
    Test.add_func ("/Pmap/Vala/map-wrapped-outcomes-async", test_map_wrapped_outcomes_async);
    Test.add_func ("/Pmap/Vala/javascript-module", test_javascript_module);
}
