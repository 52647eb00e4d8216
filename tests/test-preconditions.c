/* test-preconditions.c: programming errors are reported as criticals
 *
 * Each case runs in a subprocess, where the critical is fatal.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "pmap-test-util.h"

typedef struct
{
  const char *path;
  void      (*trigger) (void);
  const char *function;
  const char *assertion;
} PreconditionCase;

static GVariant *
unused_func (GVariant  *input,
             gpointer   user_data,
             GError   **error)
{
  g_assert_not_reached ();
}

static void
map_without_executor (void)
{
  pmap_executor_map (NULL, NULL, 0, unused_func, NULL, NULL, NULL);
}

static void
map_without_func (void)
{
  g_autoptr(PmapExecutor) executor = pmap_executor_new ();

  pmap_executor_map (executor, NULL, 0, NULL, NULL, NULL, NULL);
}

static void
map_without_items (void)
{
  g_autoptr(PmapExecutor) executor = pmap_executor_new ();

  pmap_executor_map (executor, NULL, 3, unused_func, NULL, NULL, NULL);
}

static void
map_with_set_error (void)
{
  g_autoptr(PmapExecutor) executor = pmap_executor_new ();
  g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "earlier");

  pmap_executor_map (executor, NULL, 0, unused_func, NULL, NULL, &error);
}

static void
map_async_without_executor (void)
{
  pmap_executor_map_async (NULL, NULL, 0, unused_func, NULL, NULL, NULL, NULL, NULL);
}

static void
map_async_without_func (void)
{
  g_autoptr(PmapExecutor) executor = pmap_executor_new ();

  pmap_executor_map_async (executor, NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL);
}

static void
map_by_name_without_name (void)
{
  g_autoptr(PmapExecutor) executor = pmap_executor_new ();

  pmap_executor_map_by_name (executor, NULL, NULL, 0, NULL, NULL);
}

static void
map_by_name_async_without_name (void)
{
  g_autoptr(PmapExecutor) executor = pmap_executor_new ();

  pmap_executor_map_by_name_async (executor, NULL, NULL, 0, NULL, NULL, NULL);
}

/* A map_async() result is not a map_outcomes_async() one. */
static void
map_outcomes_finish_with_other_result (void)
{
  g_autoptr(PmapExecutor) executor = pmap_executor_new ();
  TestAsync async;

  test_async_init (&async);
  pmap_executor_map_async (executor, NULL, 0, unused_func, NULL, NULL, NULL,
                           test_async_ready, &async);
  pmap_executor_map_outcomes_finish (executor, test_async_wait (&async), NULL);
  test_async_clear (&async);
}

/* A by-name map's result is not a map_async() one. */
static void
map_finish_with_other_result (void)
{
  g_autoptr(PmapExecutor) executor = pmap_executor_new ();
  TestAsync async;

  test_async_init (&async);
  pmap_executor_map_by_name_async (executor, "no such function", NULL, 0, NULL,
                                   test_async_ready, &async);
  pmap_executor_map_finish (executor, test_async_wait (&async), NULL);
  test_async_clear (&async);
}

static void
set_n_jobs_zero (void)
{
  g_autoptr(PmapExecutor) executor = pmap_executor_new ();

  pmap_executor_set_n_jobs (executor, 0);
}

static void
construct_n_jobs_zero (void)
{
  g_object_unref (g_object_new (PMAP_TYPE_EXECUTOR, "n-jobs", 0, NULL));
}

static void
set_backend_not_a_backend (void)
{
  g_autoptr(PmapExecutor) executor = pmap_executor_new ();
  g_autoptr(PmapExecutor) other = pmap_executor_new ();

  pmap_executor_set_backend (executor, (PmapBackend *) other);
}

static void
register_without_name (void)
{
  pmap_register_function (NULL, unused_func, NULL, NULL);
}

static void
register_empty_name (void)
{
  pmap_register_function ("", unused_func, NULL, NULL);
}

static void
register_without_func (void)
{
  pmap_register_function ("test-preconditions.nothing", NULL, NULL, NULL);
}

static void
unregister_without_name (void)
{
  pmap_unregister_function (NULL);
}

static void
load_module_without_path (void)
{
  pmap_load_module (NULL, NULL);
}

static void
create_backend_without_name (void)
{
  pmap_backend_create (NULL, NULL);
}

static void
claim_without_job (void)
{
  guint first, n_tasks;

  pmap_job_claim (NULL, &first, &n_tasks);
}

static const PreconditionCase cases[] = {
  { "/Pmap/Preconditions/map/no-executor", map_without_executor,
    "pmap_executor_map", "PMAP_IS_EXECUTOR (self)" },
  { "/Pmap/Preconditions/map/no-func", map_without_func,
    "pmap_executor_map", "func != NULL" },
  { "/Pmap/Preconditions/map/no-items", map_without_items,
    "pmap_executor_map", "items != NULL || n_items == 0" },
  { "/Pmap/Preconditions/map/error-set", map_with_set_error,
    "pmap_executor_map", "error == NULL || *error == NULL" },
  { "/Pmap/Preconditions/map-async/no-executor", map_async_without_executor,
    "pmap_executor_map_async", "PMAP_IS_EXECUTOR (self)" },
  { "/Pmap/Preconditions/map-async/no-func", map_async_without_func,
    "pmap_executor_map_async", "func != NULL" },
  { "/Pmap/Preconditions/map-by-name/no-name", map_by_name_without_name,
    "pmap_executor_map_by_name", "name != NULL" },
  { "/Pmap/Preconditions/map-by-name-async/no-name", map_by_name_async_without_name,
    "pmap_executor_map_by_name_async", "name != NULL" },
  { "/Pmap/Preconditions/map-finish/other-result", map_finish_with_other_result,
    "pmap_executor_map_finish", "pmap_executor_is_map_result (self, result, pmap_executor_map_async)" },
  { "/Pmap/Preconditions/map-outcomes-finish/other-result", map_outcomes_finish_with_other_result,
    "pmap_executor_map_outcomes_finish",
    "pmap_executor_is_map_result (self, result, pmap_executor_map_outcomes_async)" },
  { "/Pmap/Preconditions/n-jobs/set-zero", set_n_jobs_zero,
    "pmap_executor_set_n_jobs", "n_jobs != 0" },
  { "/Pmap/Preconditions/n-jobs/construct-zero", construct_n_jobs_zero,
    "pmap_executor_set_n_jobs", "n_jobs != 0" },
  { "/Pmap/Preconditions/backend/not-a-backend", set_backend_not_a_backend,
    "pmap_executor_set_backend", "backend == NULL || PMAP_IS_BACKEND (backend)" },
  { "/Pmap/Preconditions/backend/create-no-name", create_backend_without_name,
    "pmap_backend_create", "name != NULL" },
  { "/Pmap/Preconditions/job/claim-no-job", claim_without_job,
    "pmap_job_claim", "PMAP_IS_JOB (self)" },
  { "/Pmap/Preconditions/registry/register-no-name", register_without_name,
    "pmap_register_function", "name != NULL && name[0] != '\\0'" },
  { "/Pmap/Preconditions/registry/register-empty-name", register_empty_name,
    "pmap_register_function", "name != NULL && name[0] != '\\0'" },
  { "/Pmap/Preconditions/registry/register-no-func", register_without_func,
    "pmap_register_function", "func != NULL" },
  { "/Pmap/Preconditions/registry/unregister-no-name", unregister_without_name,
    "pmap_unregister_function", "name != NULL" },
  { "/Pmap/Preconditions/registry/load-module-no-path", load_module_without_path,
    "pmap_load_module", "path != NULL" },
};

static void
test_precondition (gconstpointer data)
{
  const PreconditionCase *precondition = data;
  g_autofree char *pattern = NULL;

  if (g_test_subprocess ())
    {
      precondition->trigger ();
      return;
    }

  pattern = g_strdup_printf ("*CRITICAL*%s: assertion '%s' failed*",
                             precondition->function, precondition->assertion);
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr (pattern);
}

int
main (int   argc,
      char *argv[])
{
  test_init (&argc, &argv);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    g_test_add_data_func (cases[i].path, &cases[i], test_precondition);

  return g_test_run ();
}
