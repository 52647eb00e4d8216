/* test-environment.c: defaults from PMAP_N_JOBS and PMAP_BACKEND
 *
 * Each test runs in a subprocess that sets the variable before it creates
 * any executor or thread.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "pmap-test-util.h"

typedef struct
{
  const char *path;
  const char *variable;
  const char *value;
  void      (*check) (const char *value);
} EnvironmentCase;

/* Both a blocking and an asynchronous map fail with this error, before
 * calling the function. */
static void
assert_maps_fail (PmapExecutor *executor,
                  GQuark        domain,
                  int           code,
                  const char   *variable,
                  const char   *value)
{
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GPtrArray) async_results = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) async_error = NULL;
  TestProbe probe;

  test_probe_init (&probe);

  results = test_map (executor, &probe, 10, NULL, &error);
  g_assert_null (results);
  g_assert_error (error, domain, code);
  g_assert_nonnull (strstr (error->message, variable));
  g_assert_nonnull (strstr (error->message, value));

  async_results = test_map_async (executor, &probe, 10, NULL, &async_error);
  g_assert_null (async_results);
  g_assert_error (async_error, domain, code);

  g_assert_cmpint (probe.n_calls, ==, 0);
  test_probe_clear (&probe);
}

/* Maps squares and returns whether every task ran on the calling thread. */
static gboolean
assert_map_works (PmapExecutor *executor)
{
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;
  gboolean on_caller;
  TestProbe probe;

  test_probe_init (&probe);
  results = test_map (executor, &probe, 100, NULL, &error);
  g_assert_no_error (error);
  test_assert_squares (results, 100);
  on_caller = test_probe_ran_only_on (&probe, g_thread_self ());
  test_probe_clear (&probe);

  return on_caller;
}

static void
check_n_jobs_number (const char *value)
{
  g_autoptr(PmapExecutor) executor = pmap_executor_new ();
  int expected = g_ascii_strtoll (value, NULL, 10);
  int n_jobs;

  g_object_get (executor, "n-jobs", &n_jobs, NULL);
  g_assert_cmpint (n_jobs, ==, expected);
  g_assert_cmpuint (pmap_executor_get_effective_n_jobs (executor), ==, expected);
  g_assert_true (assert_map_works (executor) == (expected == 1));
}

static void
check_n_jobs_unset (const char *value)
{
  g_autoptr(PmapExecutor) executor = pmap_executor_new ();

  g_assert_cmpint (pmap_executor_get_n_jobs (executor), ==, -1);
  assert_map_works (executor);
}

/* A malformed value fails maps, not the executor's creation, until the
 * program sets n-jobs itself. */
static void
check_n_jobs_invalid (const char *value)
{
  g_autoptr(PmapExecutor) executor = pmap_executor_new ();

  g_assert_cmpint (pmap_executor_get_n_jobs (executor), ==, -1);
  assert_maps_fail (executor, PMAP_ERROR, PMAP_ERROR_INVALID_SETTING, "PMAP_N_JOBS", value);

  pmap_executor_set_n_jobs (executor, 2);
  assert_map_works (executor);
}

static void
check_backend_named (const char *value)
{
  g_autoptr(PmapExecutor) executor = pmap_executor_new ();
  PmapBackend *backend = pmap_executor_get_backend (executor);
  gboolean sequential = g_str_equal (value, "sequential");

  g_assert_nonnull (backend);
  g_assert_cmpstr (pmap_backend_get_name (backend), ==,
                   sequential ? "sequential" : "threads");

  pmap_executor_set_n_jobs (executor, 2);
  g_assert_true (assert_map_works (executor) == sequential);
}

/* An unknown name leaves the executor without a backend, and its maps
 * failing, until the program sets one; NULL brings the failure back. */
static void
check_backend_invalid (const char *value)
{
  g_autoptr(PmapExecutor) executor = pmap_executor_new ();
  g_autoptr(PmapBackend) threads = pmap_backend_create ("threads", NULL);
  g_autoptr(PmapBackend) property = NULL;

  g_assert_null (pmap_executor_get_backend (executor));
  g_object_get (executor, "backend", &property, NULL);
  g_assert_null (property);
  assert_maps_fail (executor, PMAP_ERROR, PMAP_ERROR_UNKNOWN_BACKEND, "PMAP_BACKEND", value);

  /* Even where n-jobs 1 would need no backend. */
  pmap_executor_set_n_jobs (executor, 1);
  assert_maps_fail (executor, PMAP_ERROR, PMAP_ERROR_UNKNOWN_BACKEND, "PMAP_BACKEND", value);
  pmap_executor_set_n_jobs (executor, 2);

  pmap_executor_set_backend (executor, threads);
  g_assert_true (pmap_executor_get_backend (executor) == threads);
  assert_map_works (executor);

  pmap_executor_set_backend (executor, NULL);
  g_assert_null (pmap_executor_get_backend (executor));
  assert_maps_fail (executor, PMAP_ERROR, PMAP_ERROR_UNKNOWN_BACKEND, "PMAP_BACKEND", value);
}

static const EnvironmentCase cases[] = {
  { "/Pmap/Environment/n-jobs/three", "PMAP_N_JOBS", "3", check_n_jobs_number },
  { "/Pmap/Environment/n-jobs/one", "PMAP_N_JOBS", "1", check_n_jobs_number },
  { "/Pmap/Environment/n-jobs/empty", "PMAP_N_JOBS", "", check_n_jobs_unset },
  { "/Pmap/Environment/n-jobs/not-a-number", "PMAP_N_JOBS", "banana", check_n_jobs_invalid },
  { "/Pmap/Environment/n-jobs/trailing-garbage", "PMAP_N_JOBS", "4x", check_n_jobs_invalid },
  { "/Pmap/Environment/n-jobs/zero", "PMAP_N_JOBS", "0", check_n_jobs_invalid },
  { "/Pmap/Environment/backend/sequential", "PMAP_BACKEND", "sequential", check_backend_named },
  { "/Pmap/Environment/backend/threading", "PMAP_BACKEND", "threading", check_backend_named },
  { "/Pmap/Environment/backend/empty", "PMAP_BACKEND", "", check_backend_named },
  { "/Pmap/Environment/backend/unknown", "PMAP_BACKEND", "nope", check_backend_invalid },
};

/* Runs the check of the EnvironmentCase at @data. */
static void
run_check (gconstpointer data)
{
  const EnvironmentCase *environment_case = data;

  environment_case->check (environment_case->value);
}

static void
test_environment (gconstpointer data)
{
  const EnvironmentCase *environment_case = data;

  test_check_with_variable (environment_case->variable, environment_case->value,
                            run_check, environment_case);
}

int
main (int   argc,
      char *argv[])
{
  test_init (&argc, &argv);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    g_test_add_data_func (cases[i].path, &cases[i], test_environment);

  return g_test_run ();
}
