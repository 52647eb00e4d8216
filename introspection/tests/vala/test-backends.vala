/* test-backends.vala: backends by name and a backend written in Vala;
 * part of test-pmap-vala, whose helpers it uses
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

static void test_backend_create () {
    try {
        assert_cmpstr (Pmap.Backend.create ("threads").name, EQ, "threads");
        assert_cmpstr (Pmap.Backend.create ("threading").name, EQ, "threads");

        /* The sequential backend runs every task on the calling thread,
         * whatever the number of jobs. */
        var executor = new Pmap.Executor ();
        assert_cmpstr (executor.backend.name, EQ, "threads");
        executor.backend = Pmap.Backend.create ("sequential");
        assert_cmpstr (executor.backend.get_name (), EQ, "sequential");
        executor.n_jobs = 2;
        var results = executor.map (int64_inputs (50), (input) => {
            assert_true (Thread.self<void*> () == main_thread);
            return input;
        });
        assert_cmpuint (results.length, EQ, 50);
    } catch (Error error) {
        assert_no_error (error);
    }

    try {
        Pmap.Backend.create ("quantum");
        assert_not_reached ();
    } catch (Error error) {
        assert_error (error, Pmap.Error.quark (), Pmap.Error.UNKNOWN_BACKEND);
        assert_true ("quantum" in error.message);
    }
}

/* A backend written in Vala: it claims every batch at once, then runs them
 * last to first on a thread of its own. */
class ReverseBackend : Pmap.Backend {
    public Thread<void*>? runner;
    public uint n_submits;
    public uint n_tasks;
    public uint n_jobs;
    public uint[] batch_starts;

    public ReverseBackend () {
        Object (name: "reverse");
    }

    public override void submit (Pmap.Job job) {
        uint first, n;
        uint[] starts = {};
        uint[] sizes = {};

        n_submits++;
        n_tasks = job.get_n_tasks ();
        n_jobs = job.get_n_jobs ();
        while (job.claim (out first, out n)) {
            starts += first;
            sizes += n;
        }
        batch_starts = starts;

        runner = new Thread<void*> ("reverse-backend", () => {
            for (int i = starts.length - 1; i >= 0; i--)
                job.run_batch (starts[i], sizes[i]);
            return null;
        });
    }
}

static void test_custom_backend () {
    const int N = 100;
    var backend = new ReverseBackend ();
    var executor = new Pmap.Executor ();
    var recorder = new ProgressRecorder (executor);
    var expected = new int64[N];

    assert_cmpstr (backend.name, EQ, "reverse");
    executor.backend = backend;
    executor.n_jobs = 3;
    executor.batch_size = 7;
    for (int i = 0; i < N; i++)
        expected[i] = (int64) i * i;

    try {
        var results = executor.map (int64_inputs (N), (input) => {
            assert_true (Thread.self<void*> () != main_thread);
            return new Variant.int64 (input.get_int64 () * input.get_int64 ());
        });
        assert_int64_results (results, expected);
    } catch (Error error) {
        assert_no_error (error);
    }
    var runner = (owned) backend.runner;
    runner.join ();

    assert_cmpuint (backend.n_submits, EQ, 1);
    assert_cmpuint (backend.n_tasks, EQ, N);
    assert_cmpuint (backend.n_jobs, EQ, 3);
    assert_cmpint (backend.batch_starts.length, EQ, (N + 6) / 7);
    for (int i = 0; i < backend.batch_starts.length; i++)
        assert_cmpuint (backend.batch_starts[i], EQ, 7 * i);
    recorder.assert_finished (N);
}

void add_backend_tests () {
    Test.add_func ("/Pmap/Vala/backend-create", test_backend_create);
    Test.add_func ("/Pmap/Vala/custom-backend", test_custom_backend);
}
