/* test-backend.c: the built-in backends, and one written here
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "pmap-test-util.h"

/* A backend of our own: it claims every batch of a job first, then runs
 * them last to first, inline or on a thread of its own per job, so that
 * results arrive in the reverse of input order. */
#define TEST_TYPE_BACKEND (test_backend_get_type ())
G_DECLARE_FINAL_TYPE (TestBackend, test_backend, TEST, BACKEND, PmapBackend)

struct _TestBackend
{
  PmapBackend parent_instance;

  gboolean    own_thread;
  GPtrArray  *threads;    /* joined when the backend goes */
  guint       n_submits;
  guint       n_jobs_seen;
  guint       n_tasks_seen;
  gint        n_batches;
};

G_DEFINE_FINAL_TYPE (TestBackend, test_backend, PMAP_TYPE_BACKEND)

typedef struct
{
  TestBackend *self;
  PmapJob     *job;
} Run;

static gpointer
run_backwards (gpointer data)
{
  Run *run = data;
  g_autoptr(GArray) batches = g_array_new (FALSE, FALSE, sizeof (guint) * 2);
  guint batch[2];

  while (pmap_job_claim (run->job, &batch[0], &batch[1]))
    g_array_append_val (batches, batch);

  for (guint i = batches->len; i > 0; i--)
    {
      guint *claimed = &g_array_index (batches, guint, 2 * (i - 1));

      /* Counted first: the last batch completes the map, which may then
       * return before this thread goes on. */
      g_atomic_int_inc (&run->self->n_batches);
      pmap_job_run_batch (run->job, claimed[0], claimed[1]);
    }

  g_object_unref (run->job);
  g_free (run);
  return NULL;
}

static void
test_backend_submit (PmapBackend *backend,
                     PmapJob     *job)
{
  TestBackend *self = TEST_BACKEND (backend);
  Run *run = g_new0 (Run, 1);

  self->n_submits++;
  self->n_jobs_seen = pmap_job_get_n_jobs (job);
  self->n_tasks_seen = pmap_job_get_n_tasks (job);

  run->self = self;
  run->job = g_object_ref (job);

  if (self->own_thread)
    g_ptr_array_add (self->threads, g_thread_new ("test-backend", run_backwards, run));
  else
    run_backwards (run);
}

static void
test_backend_finalize (GObject *object)
{
  TestBackend *self = TEST_BACKEND (object);

  for (guint i = 0; i < self->threads->len; i++)
    g_thread_join (g_ptr_array_index (self->threads, i));
  g_ptr_array_unref (self->threads);

  G_OBJECT_CLASS (test_backend_parent_class)->finalize (object);
}

static void
test_backend_class_init (TestBackendClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = test_backend_finalize;
  PMAP_BACKEND_CLASS (klass)->submit = test_backend_submit;
}

static void
test_backend_init (TestBackend *self)
{
  self->threads = g_ptr_array_new ();
}

static TestBackend *
test_backend_new (gboolean own_thread)
{
  TestBackend *self = g_object_new (TEST_TYPE_BACKEND, "name", "test", NULL);

  self->own_thread = own_thread;
  return self;
}

/* A subclass that forgets submit(). */
#define TEST_TYPE_LAZY_BACKEND (test_lazy_backend_get_type ())
G_DECLARE_FINAL_TYPE (TestLazyBackend, test_lazy_backend, TEST, LAZY_BACKEND, PmapBackend)

struct _TestLazyBackend
{
  PmapBackend parent_instance;
};

G_DEFINE_FINAL_TYPE (TestLazyBackend, test_lazy_backend, PMAP_TYPE_BACKEND)

static void
test_lazy_backend_class_init (TestLazyBackendClass *klass)
{
}

static void
test_lazy_backend_init (TestLazyBackend *self)
{
}

static void
test_create (void)
{
  const struct {
    const char *name;
    const char *backend_name;
  } known[] = {
    { "threads", "threads" },
    { "threading", "threads" },
    { "sequential", "sequential" },
  };
  g_autoptr(PmapBackend) unknown = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (known); i++)
    {
      g_autoptr(PmapBackend) backend = pmap_backend_create (known[i].name, &error);
      g_autofree char *property = NULL;

      g_assert_no_error (error);
      g_assert_true (PMAP_IS_BACKEND (backend));
      g_assert_cmpstr (pmap_backend_get_name (backend), ==, known[i].backend_name);
      g_object_get (backend, "name", &property, NULL);
      g_assert_cmpstr (property, ==, known[i].backend_name);
    }

  unknown = pmap_backend_create ("loky-but-not-really", &error);
  g_assert_null (unknown);
  g_assert_error (error, PMAP_ERROR, PMAP_ERROR_UNKNOWN_BACKEND);
  g_assert_nonnull (strstr (error->message, "loky-but-not-really"));
}

static void
test_name_property (void)
{
  g_autoptr(TestBackend) named = test_backend_new (FALSE);
  g_autoptr(PmapBackend) unnamed = g_object_new (TEST_TYPE_BACKEND, NULL);
  g_autofree char *name = NULL;

  g_object_get (named, "name", &name, NULL);
  g_assert_cmpstr (name, ==, "test");
  g_assert_cmpstr (pmap_backend_get_name (PMAP_BACKEND (named)), ==, "test");
  g_assert_null (pmap_backend_get_name (unnamed));
}

typedef enum
{
  INLINE,
  OWN_THREAD,
  OWN_THREAD_ASYNC,
} CustomMode;

/* The executor hands the whole job to our backend, once, with its n-jobs;
 * the results land in input order whatever order the batches ran in, and
 * progress arrives on the caller's thread. Data is a CustomMode. */
static void
test_custom (gconstpointer data)
{
  const guint n_items = 50, batch_size = 4, n_batches = 13;
  CustomMode mode = GPOINTER_TO_INT (data);
  g_autoptr(TestBackend) backend = test_backend_new (mode != INLINE);
  g_autoptr(PmapExecutor) executor = NULL;
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;
  TestProgress progress;
  TestProbe probe;

  executor = g_object_new (PMAP_TYPE_EXECUTOR,
                           "backend", backend,
                           "n-jobs", 3,
                           "batch-size", batch_size,
                           NULL);
  test_progress_init (&progress, executor);
  test_probe_init (&probe);

  if (mode == OWN_THREAD_ASYNC)
    results = test_map_async (executor, &probe, n_items, NULL, &error);
  else
    results = test_map (executor, &probe, n_items, NULL, &error);
  g_assert_no_error (error);
  test_assert_squares (results, n_items);
  test_progress_assert (&progress, n_items, n_batches);

  g_assert_cmpuint (backend->n_submits, ==, 1);
  g_assert_cmpuint (backend->n_jobs_seen, ==, 3);
  g_assert_cmpuint (backend->n_tasks_seen, ==, n_items);
  g_assert_cmpint (g_atomic_int_get (&backend->n_batches), ==, n_batches);
  g_assert_cmpint (g_hash_table_size (probe.threads), ==, 1);
  if (mode == INLINE)
    g_assert_true (test_probe_ran_only_on (&probe, g_thread_self ()));
  else
    g_assert_false (g_hash_table_contains (probe.threads, g_thread_self ()));

  test_progress_clear (&progress);
  test_probe_clear (&probe);
}

/* n-jobs 1 keeps the tasks on the calling thread, whatever the backend. */
static void
test_custom_one_job (void)
{
  g_autoptr(TestBackend) backend = test_backend_new (TRUE);
  g_autoptr(PmapExecutor) executor = NULL;
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;
  TestProbe probe;

  executor = g_object_new (PMAP_TYPE_EXECUTOR, "backend", backend, "n-jobs", 1, NULL);
  test_probe_init (&probe);

  results = test_map (executor, &probe, 20, NULL, &error);
  g_assert_no_error (error);
  test_assert_squares (results, 20);
  g_assert_cmpuint (backend->n_submits, ==, 0);
  g_assert_true (test_probe_ran_only_on (&probe, g_thread_self ()));

  test_probe_clear (&probe);
}

static void
test_unimplemented_submit (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(PmapBackend) backend = g_object_new (TEST_TYPE_LAZY_BACKEND, NULL);
      g_autoptr(PmapExecutor) executor = pmap_executor_new ();
      g_autoptr(GPtrArray) items = test_items_new (3);

      pmap_executor_set_backend (executor, backend);
      pmap_executor_map (executor, (GVariant **) items->pdata, items->len,
                         test_probe_square, NULL, NULL, NULL);
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*CRITICAL*TestLazyBackend does not implement PmapBackend.submit()*");
}

/* One threads backend serves two executors mapping at once from two
 * threads, with different n-jobs. */
static gpointer
map_on_shared_backend (gpointer data)
{
  PmapExecutor *executor = data;
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;

  results = test_map (executor, g_object_get_data (data, "probe"), 2000, NULL, &error);
  g_assert_no_error (error);
  test_assert_squares (results, 2000);

  return NULL;
}

static void
test_shared_threads_backend (void)
{
  g_autoptr(PmapBackend) backend = pmap_backend_create ("threads", NULL);
  PmapExecutor *executors[2];
  GThread *threads[2];
  TestProbe probes[2];

  for (guint i = 0; i < 2; i++)
    {
      test_probe_init (&probes[i]);
      probes[i].sleep_us = i * 50;
      executors[i] = g_object_new (PMAP_TYPE_EXECUTOR,
                                   "backend", backend,
                                   "n-jobs", 2 + i,
                                   "batch-size", 1 + 10 * i,
                                   NULL);
      g_object_set_data (G_OBJECT (executors[i]), "probe", &probes[i]);
    }

  for (guint i = 0; i < 2; i++)
    threads[i] = g_thread_new ("shared-backend", map_on_shared_backend, executors[i]);

  for (guint i = 0; i < 2; i++)
    {
      g_thread_join (threads[i]);
      g_object_unref (executors[i]);
      g_assert_cmpint (probes[i].n_calls, ==, 2000);
      test_probe_clear (&probes[i]);
    }
}

int
main (int   argc,
      char *argv[])
{
  test_init (&argc, &argv);

  g_test_add_func ("/Pmap/Backend/create", test_create);
  g_test_add_func ("/Pmap/Backend/name-property", test_name_property);
  g_test_add_data_func ("/Pmap/Backend/custom/inline", GINT_TO_POINTER (INLINE), test_custom);
  g_test_add_data_func ("/Pmap/Backend/custom/own-thread", GINT_TO_POINTER (OWN_THREAD), test_custom);
  g_test_add_data_func ("/Pmap/Backend/custom/own-thread-async", GINT_TO_POINTER (OWN_THREAD_ASYNC), test_custom);
  g_test_add_func ("/Pmap/Backend/custom/one-job", test_custom_one_job);
  g_test_add_func ("/Pmap/Backend/unimplemented-submit", test_unimplemented_submit);
  g_test_add_func ("/Pmap/Backend/shared-threads", test_shared_threads_backend);

  return g_test_run ();
}
