/* test-properties.c: the executor's properties and their notifications
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "pmap-test-util.h"

static void
test_defaults (void)
{
  g_autoptr(PmapExecutor) executor = pmap_executor_new ();
  g_autoptr(PmapBackend) backend = NULL;
  guint batch_size;
  int n_jobs;

  g_object_get (executor,
                "n-jobs", &n_jobs,
                "batch-size", &batch_size,
                "backend", &backend,
                NULL);
  g_assert_cmpint (n_jobs, ==, -1);
  g_assert_cmpint (pmap_executor_get_n_jobs (executor), ==, -1);
  g_assert_cmpuint (batch_size, ==, 0);
  g_assert_cmpuint (pmap_executor_get_batch_size (executor), ==, 0);
  g_assert_true (PMAP_IS_BACKEND (backend));
  g_assert_true (pmap_executor_get_backend (executor) == backend);
  g_assert_cmpstr (pmap_backend_get_name (backend), ==, "threads");
}

static void
test_construct (void)
{
  g_autoptr(PmapBackend) sequential = pmap_backend_create ("sequential", NULL);
  g_autoptr(PmapExecutor) executor = NULL;
  g_autoptr(PmapBackend) backend = NULL;
  guint batch_size;
  int n_jobs;

  executor = g_object_new (PMAP_TYPE_EXECUTOR,
                           "n-jobs", 3,
                           "batch-size", 7,
                           "backend", sequential,
                           NULL);
  g_object_get (executor,
                "n-jobs", &n_jobs,
                "batch-size", &batch_size,
                "backend", &backend,
                NULL);

  g_assert_cmpint (n_jobs, ==, 3);
  g_assert_cmpint (pmap_executor_get_n_jobs (executor), ==, 3);
  g_assert_cmpuint (pmap_executor_get_effective_n_jobs (executor), ==, 3);
  g_assert_cmpuint (batch_size, ==, 7);
  g_assert_cmpuint (pmap_executor_get_batch_size (executor), ==, 7);
  g_assert_true (backend == sequential);
  g_assert_true (pmap_executor_get_backend (executor) == sequential);
}

typedef struct
{
  guint n_jobs;
  guint batch_size;
  guint backend;
} Notified;

static void
count_notify (GObject    *object,
              GParamSpec *pspec,
              Notified   *notified)
{
  if (g_str_equal (pspec->name, "n-jobs"))
    notified->n_jobs++;
  else if (g_str_equal (pspec->name, "batch-size"))
    notified->batch_size++;
  else if (g_str_equal (pspec->name, "backend"))
    notified->backend++;
  else
    g_assert_not_reached ();
}

#define assert_notified(notified, jobs, size, back) \
  G_STMT_START { \
    g_assert_cmpuint ((notified).n_jobs, ==, (jobs)); \
    g_assert_cmpuint ((notified).batch_size, ==, (size)); \
    g_assert_cmpuint ((notified).backend, ==, (back)); \
  } G_STMT_END

/* notify is emitted when a value changes, and only then, through the
 * setters and through g_object_set() alike. */
static void
test_notify (void)
{
  g_autoptr(PmapExecutor) executor = pmap_executor_new ();
  g_autoptr(PmapBackend) sequential = pmap_backend_create ("sequential", NULL);
  Notified notified = { 0, };

  g_signal_connect (executor, "notify", G_CALLBACK (count_notify), &notified);

  pmap_executor_set_n_jobs (executor, -1);
  g_object_set (executor, "n-jobs", -1, NULL);
  assert_notified (notified, 0, 0, 0);
  pmap_executor_set_n_jobs (executor, 4);
  assert_notified (notified, 1, 0, 0);
  g_object_set (executor, "n-jobs", 4, NULL);
  pmap_executor_set_n_jobs (executor, 4);
  assert_notified (notified, 1, 0, 0);
  g_object_set (executor, "n-jobs", 2, NULL);
  assert_notified (notified, 2, 0, 0);

  pmap_executor_set_batch_size (executor, 0);
  g_object_set (executor, "batch-size", 0, NULL);
  assert_notified (notified, 2, 0, 0);
  pmap_executor_set_batch_size (executor, 16);
  pmap_executor_set_batch_size (executor, 16);
  g_object_set (executor, "batch-size", 16, NULL);
  assert_notified (notified, 2, 1, 0);

  pmap_executor_set_backend (executor, pmap_executor_get_backend (executor));
  assert_notified (notified, 2, 1, 0);
  pmap_executor_set_backend (executor, sequential);
  g_object_set (executor, "backend", sequential, NULL);
  pmap_executor_set_backend (executor, sequential);
  assert_notified (notified, 2, 1, 1);
  g_assert_true (pmap_executor_get_backend (executor) == sequential);

  /* NULL brings back the default, a change from the sequential one. */
  pmap_executor_set_backend (executor, NULL);
  assert_notified (notified, 2, 1, 2);
  g_assert_cmpstr (pmap_backend_get_name (pmap_executor_get_backend (executor)), ==, "threads");
}

static void
test_param_specs (void)
{
  g_autoptr(GTypeClass) klass = g_type_class_ref (PMAP_TYPE_EXECUTOR);
  GParamSpec *n_jobs = g_object_class_find_property (G_OBJECT_CLASS (klass), "n-jobs");
  GParamSpec *batch_size = g_object_class_find_property (G_OBJECT_CLASS (klass), "batch-size");
  GParamSpec *backend = g_object_class_find_property (G_OBJECT_CLASS (klass), "backend");

  g_assert_true (G_IS_PARAM_SPEC_INT (n_jobs));
  g_assert_cmpint (G_PARAM_SPEC_INT (n_jobs)->default_value, ==, -1);
  g_assert_true (G_IS_PARAM_SPEC_UINT (batch_size));
  g_assert_cmpuint (G_PARAM_SPEC_UINT (batch_size)->default_value, ==, 0);
  g_assert_true (G_IS_PARAM_SPEC_OBJECT (backend));
  g_assert_true (backend->value_type == PMAP_TYPE_BACKEND);

  for (guint i = 0; i < 3; i++)
    {
      GParamSpec *pspec = (GParamSpec *[]) { n_jobs, batch_size, backend }[i];

      g_assert_cmpint (pspec->flags & G_PARAM_READWRITE, ==, G_PARAM_READWRITE);
      g_assert_true (pspec->flags & G_PARAM_EXPLICIT_NOTIFY);
    }
}

int
main (int   argc,
      char *argv[])
{
  test_init (&argc, &argv);

  g_test_add_func ("/Pmap/Properties/defaults", test_defaults);
  g_test_add_func ("/Pmap/Properties/construct", test_construct);
  g_test_add_func ("/Pmap/Properties/notify", test_notify);
  g_test_add_func ("/Pmap/Properties/param-specs", test_param_specs);

  return g_test_run ();
}
