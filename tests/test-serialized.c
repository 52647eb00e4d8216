/* test-serialized.c: functions that a serializer made into data, the
 * serializers that a program registers, and the command that starts
 * workers
 *
 * Built twice, as test-serializer-processes.c. With TEST_HOSTS_WORKERS 1,
 * the program registers its serializer, then calls pmap_host_workers(), so
 * that its workers know the serializer; with 0, its workers run the
 * pmap-worker helper, which does not.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <unistd.h>

#include "pmap-test-processes-util.h"

#define N_ITEMS 40
#define OFFSET 1000
#define MARK_ENV "PMAP_TEST_WORKER_MARK"

/* A serializer whose functions are data: (op, k), where op is "add"
 * (x → (x + k, pid)), "fail" (fails on input k, else as "add" 0), or
 * "mark" (x → (1 if MARK_ENV is set in the process that runs it, else 0,
 * pid)). */
#define TEST_TYPE_ARITH (test_arith_get_type ())
G_DECLARE_FINAL_TYPE (TestArith, test_arith, TEST, ARITH, PmapSerializer)

struct _TestArith
{
  PmapSerializer parent_instance;
};

G_DEFINE_FINAL_TYPE (TestArith, test_arith, PMAP_TYPE_SERIALIZER)

static GVariant *
test_arith_call (PmapSerializer  *serializer,
                 GVariant        *function,
                 GVariant        *input,
                 GError         **error)
{
  gint64 x = g_variant_get_int64 (input);
  const char *op;
  gint64 k;

  if (!g_variant_is_of_type (function, G_VARIANT_TYPE ("(sx)")))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "A function of the arith serializer is a (sx), not a %s",
                   g_variant_get_type_string (function));
      return NULL;
    }
  g_variant_get (function, "(&sx)", &op, &k);

  if (g_str_equal (op, "add"))
    return g_variant_new ("(xx)", x + k, (gint64) getpid ());
  if (g_str_equal (op, "mark"))
    return g_variant_new ("(xx)", (gint64) (g_getenv (MARK_ENV) != NULL), (gint64) getpid ());
  if (g_str_equal (op, "fail") && x == k)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "the arith serializer refuses %" G_GINT64_FORMAT, x);
      return NULL;
    }
  if (g_str_equal (op, "fail"))
    return g_variant_new ("(xx)", x, (gint64) getpid ());

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
               "The arith serializer knows no operation “%s”", op);
  return NULL;
}

static void
test_arith_class_init (TestArithClass *klass)
{
  PMAP_SERIALIZER_CLASS (klass)->call = test_arith_call;
}

static void
test_arith_init (TestArith *self)
{
}

/* Another class, to replace the registration of "arith" with. */
#define TEST_TYPE_OTHER_ARITH (test_other_arith_get_type ())
G_DECLARE_FINAL_TYPE (TestOtherArith, test_other_arith, TEST, OTHER_ARITH, PmapSerializer)

struct _TestOtherArith
{
  PmapSerializer parent_instance;
};

G_DEFINE_FINAL_TYPE (TestOtherArith, test_other_arith, PMAP_TYPE_SERIALIZER)

static void
test_other_arith_class_init (TestOtherArithClass *klass)
{
}

static void
test_other_arith_init (TestOtherArith *self)
{
}

static gint64
plus_offset (gint64 x)
{
  return x + OFFSET;
}

static PmapWrapped *
arith_function_new (const char *name,
                    const char *op,
                    gint64      k)
{
  g_autoptr(PmapSerializer) arith = pmap_serializer_create (name, NULL);

  g_assert_nonnull (arith);
  return pmap_wrapped_new_serialized (arith, g_variant_new ("(sx)", op, k));
}

static PmapExecutor *
executor_new (const char *backend_name)
{
  g_autoptr(PmapBackend) backend = pmap_backend_create (backend_name, NULL);

  return g_object_new (PMAP_TYPE_EXECUTOR, "backend", backend, "n-jobs", 2, NULL);
}

static GPtrArray *
map_wrapped (PmapExecutor  *executor,
             PmapWrapped   *wrapped,
             GError       **error)
{
  g_autoptr(GPtrArray) items = test_items_new (N_ITEMS);

  return pmap_executor_map_wrapped (executor, wrapped, (GVariant **) items->pdata,
                                    N_ITEMS, NULL, error);
}

/* The values of the results' first members, and the pids of their
 * second members. */
static void
assert_results (GPtrArray *results,
                gint64   (*expected) (gint64 x),
                gboolean   in_this_process)
{
  g_assert_nonnull (results);
  g_assert_cmpuint (results->len, ==, N_ITEMS);

  for (guint i = 0; i < N_ITEMS; i++)
    {
      gint64 value, pid;

      g_variant_get (results->pdata[i], "(xx)", &value, &pid);
      g_assert_cmpint (value, ==, expected (i));
      if (in_this_process)
        g_assert_cmpint (pid, ==, getpid ());
      else
        g_assert_cmpint (pid, !=, getpid ());
    }
}

static void
test_register (void)
{
  g_autoptr(PmapSerializer) arith = NULL;
  g_autoptr(PmapSerializer) replaced = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_null (pmap_serializer_create ("arith-unknown", &error));
  g_assert_error (error, PMAP_ERROR, PMAP_ERROR_UNKNOWN_SERIALIZER);
  g_assert_nonnull (strstr (error->message, "“arith-unknown”"));
  g_clear_error (&error);

  /* main() registered "arith". */
  arith = pmap_serializer_create ("arith", &error);
  g_assert_no_error (error);
  g_assert_true (G_TYPE_CHECK_INSTANCE_TYPE (arith, TEST_TYPE_ARITH));
  g_assert_cmpstr (pmap_serializer_get_name (arith), ==, "arith");

  pmap_serializer_register ("arith-replaced", TEST_TYPE_ARITH);
  pmap_serializer_register ("arith-replaced", TEST_TYPE_OTHER_ARITH);
  replaced = pmap_serializer_create ("arith-replaced", &error);
  g_assert_no_error (error);
  g_assert_true (G_TYPE_CHECK_INSTANCE_TYPE (replaced, TEST_TYPE_OTHER_ARITH));
  g_assert_cmpstr (pmap_serializer_get_name (replaced), ==, "arith-replaced");

  /* The built-in names stay the built-in serializers'. */
  g_test_expect_message ("Pmap", G_LOG_LEVEL_CRITICAL, "*general*");
  pmap_serializer_register ("general", TEST_TYPE_ARITH);
  g_test_assert_expected_messages ();
  g_test_expect_message ("Pmap", G_LOG_LEVEL_CRITICAL, "*PMAP_TYPE_SERIALIZER*");
  pmap_serializer_register ("not-a-serializer", G_TYPE_OBJECT);
  g_test_assert_expected_messages ();
  g_clear_object (&replaced);
  replaced = pmap_serializer_create ("general", &error);
  g_assert_no_error (error);
  g_assert_true (G_OBJECT_TYPE (replaced) == PMAP_TYPE_SERIALIZER);
}

/* A serializer that implements no call() knows no function given as
 * data. */
static void
test_base_call (void)
{
  g_autoptr(PmapSerializer) general = pmap_serializer_create ("general", NULL);
  g_autoptr(PmapWrapped) wrapped = NULL;
  g_autoptr(PmapExecutor) executor = executor_new ("threads");
  g_autoptr(GVariant) function = g_variant_ref_sink (g_variant_new_string ("f"));
  g_autoptr(GVariant) input = g_variant_ref_sink (g_variant_new_int64 (1));
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_null (pmap_serializer_call (general, function, input, &error));
  g_assert_error (error, PMAP_ERROR, PMAP_ERROR_NOT_SERIALIZABLE);
  g_assert_nonnull (strstr (error->message, "“general”"));
  g_assert_nonnull (strstr (error->message, "call()"));
  g_clear_error (&error);

  /* One input: of several, any could fail first. */
  wrapped = pmap_wrapped_new_serialized (general, function);
  results = pmap_executor_map_wrapped (executor, wrapped, &input, 1, NULL, &error);
  g_assert_null (results);
  g_assert_error (error, PMAP_ERROR, PMAP_ERROR_NOT_SERIALIZABLE);
  g_assert_true (g_str_has_prefix (error->message, "Task 0 failed: "));
}

static void
test_in_process (gconstpointer data)
{
  g_autoptr(PmapExecutor) executor = executor_new (data);
  g_autoptr(PmapWrapped) wrapped = arith_function_new ("arith", "add", OFFSET);
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;

  results = map_wrapped (executor, wrapped, &error);
  g_assert_no_error (error);
  assert_results (results, plus_offset, TRUE);
}

static void
test_in_process_async (void)
{
  g_autoptr(PmapExecutor) executor = executor_new ("threads");
  g_autoptr(PmapWrapped) wrapped = arith_function_new ("arith", "add", OFFSET);
  g_autoptr(GPtrArray) items = test_items_new (N_ITEMS);
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;
  TestAsync async;

  test_async_init (&async);
  pmap_executor_map_wrapped_async (executor, wrapped, (GVariant **) items->pdata,
                                   N_ITEMS, NULL, test_async_ready, &async);
  /* The map keeps the function until it has completed. */
  g_clear_object (&wrapped);
  results = pmap_executor_map_wrapped_finish (executor, test_async_wait (&async), &error);
  g_assert_no_error (error);
  assert_results (results, plus_offset, TRUE);
  test_async_clear (&async);
}

/* That the map fails, its error naming task @index, or any task if
 * @index is G_MAXUINT. */
static void
assert_task_fails (PmapExecutor *executor,
                   PmapWrapped  *wrapped,
                   guint         index,
                   GQuark        domain,
                   gint          code,
                   const char   *phrase)
{
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *prefix = index == G_MAXUINT ? g_strdup ("Task ")
                                                : g_strdup_printf ("Task %u failed: ", index);

  results = map_wrapped (executor, wrapped, &error);
  g_assert_null (results);
  g_assert_error (error, domain, code);
  if (!g_str_has_prefix (error->message, prefix))
    g_error ("%s", error->message);
  g_assert_nonnull (strstr (error->message, phrase));
}

static void
test_error (gconstpointer data)
{
  g_autoptr(PmapExecutor) executor = executor_new (data);
  g_autoptr(PmapWrapped) wrapped = arith_function_new ("arith", "fail", 7);
  g_autoptr(PmapWrapped) unknown = arith_function_new ("arith", "divide", 2);

  assert_task_fails (executor, wrapped, 7, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                     "refuses 7");
  /* Every task fails: the one that failed first, whichever it is. */
  assert_task_fails (executor, unknown, G_MAXUINT, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                     "no operation “divide”");
}

/* The pmap-worker helper knows the built-in serializers only: every task
 * fails, and the map reports the first that did. */
static void
test_unknown_to_helper (void)
{
  g_autoptr(PmapExecutor) executor = executor_new ("processes");
  g_autoptr(PmapWrapped) wrapped = arith_function_new ("arith", "add", OFFSET);

  assert_task_fails (executor, wrapped, G_MAXUINT, PMAP_ERROR, PMAP_ERROR_UNKNOWN_SERIALIZER,
                     "“arith”");
  test_stop_idle_workers ();
}

static void
test_processes (void)
{
  g_autoptr(PmapExecutor) executor = executor_new ("processes");
  g_autoptr(PmapWrapped) wrapped = arith_function_new ("arith", "add", OFFSET);
  g_autoptr(PmapSerializer) variant = pmap_serializer_create ("variant", NULL);
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;

  results = map_wrapped (executor, wrapped, &error);
  g_assert_no_error (error);
  assert_results (results, plus_offset, FALSE);
  g_clear_pointer (&results, g_ptr_array_unref);

  /* The function travels with its own serializer's name, whatever the
   * executor's. */
  pmap_executor_set_serializer (executor, variant);
  results = map_wrapped (executor, wrapped, &error);
  g_assert_no_error (error);
  assert_results (results, plus_offset, FALSE);
}

/* A serializer registered after pmap_host_workers() is unknown to the
 * workers, which run main() up to there only. */
static void
test_registered_late (void)
{
  g_autoptr(PmapExecutor) executor = executor_new ("processes");
  g_autoptr(PmapWrapped) wrapped = NULL;

  pmap_serializer_register ("arith-late", TEST_TYPE_ARITH);
  wrapped = arith_function_new ("arith-late", "add", OFFSET);
  assert_task_fails (executor, wrapped, G_MAXUINT, PMAP_ERROR, PMAP_ERROR_UNKNOWN_SERIALIZER,
                     "“arith-late”");
}

static gint64
one (gint64 x)
{
  return 1;
}

static gint64
zero (gint64 x)
{
  return 0;
}

/* The pids that the results came from. */
static GHashTable *
result_pids (GPtrArray *results)
{
  GHashTable *pids = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);

  for (guint i = 0; i < results->len; i++)
    {
      gint64 *pid = g_new (gint64, 1);

      g_variant_get_child (results->pdata[i], 1, "x", pid);
      g_hash_table_add (pids, pid);
    }

  return pids;
}

/* Workers run the command set with pmap_set_worker_command(): here this
 * program started by env(1) with MARK_ENV set. Idle workers serve the
 * maps that would start the same command only. */
static void
test_worker_command (void)
{
  g_autoptr(PmapExecutor) executor = executor_new ("processes");
  g_autoptr(PmapWrapped) wrapped = arith_function_new ("arith", "mark", 0);
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  g_autoptr(GPtrArray) marked = NULL;
  g_autoptr(GPtrArray) unmarked = NULL;
  g_autoptr(GHashTable) marked_pids = NULL;
  g_autoptr(GHashTable) unmarked_pids = NULL;
  g_autoptr(GError) error = NULL;
  const char *command[] = { "env", MARK_ENV "=1", self, NULL };
  GHashTableIter iter;
  gpointer pid;

  g_assert_nonnull (self);
  test_stop_idle_workers ();

  pmap_set_worker_command (command);
  marked = map_wrapped (executor, wrapped, &error);
  g_assert_no_error (error);
  assert_results (marked, one, FALSE);

  pmap_set_worker_command (NULL);
  unmarked = map_wrapped (executor, wrapped, &error);
  g_assert_no_error (error);
  assert_results (unmarked, zero, FALSE);

  marked_pids = result_pids (marked);
  unmarked_pids = result_pids (unmarked);
  g_hash_table_iter_init (&iter, marked_pids);
  while (g_hash_table_iter_next (&iter, &pid, NULL))
    g_assert_false (g_hash_table_contains (unmarked_pids, pid));

  test_stop_idle_workers ();
}

/* A command that does not start fails the map with a clear error. */
static void
test_worker_command_missing (void)
{
  g_autoptr(PmapExecutor) executor = executor_new ("processes");
  g_autoptr(PmapWrapped) wrapped = arith_function_new ("arith", "add", OFFSET);
  const char *command[] = { "/nonexistent/pmap-interpreter", "--serve", NULL };

  pmap_set_worker_command (command);
  assert_task_fails (executor, wrapped, G_MAXUINT, PMAP_ERROR, PMAP_ERROR_WORKER_START,
                     "/nonexistent/pmap-interpreter");
  pmap_set_worker_command (NULL);
}

static void
test_preconditions (void)
{
  g_autoptr(PmapSerializer) nameless = g_object_new (PMAP_TYPE_SERIALIZER, NULL);
  g_autoptr(PmapSerializer) arith = pmap_serializer_create ("arith", NULL);
  g_autoptr(GVariant) function = g_variant_ref_sink (g_variant_new_int64 (1));
  const char *empty[] = { NULL };

  g_test_expect_message ("Pmap", G_LOG_LEVEL_CRITICAL, "*pmap_serializer_get_name (serializer) != NULL*");
  g_assert_null (pmap_wrapped_new_serialized (nameless, function));
  g_test_assert_expected_messages ();
  g_test_expect_message ("Pmap", G_LOG_LEVEL_CRITICAL, "*function != NULL*");
  g_assert_null (pmap_wrapped_new_serialized (arith, NULL));
  g_test_assert_expected_messages ();
  g_test_expect_message ("Pmap", G_LOG_LEVEL_CRITICAL, "*argv[0] != NULL*");
  pmap_set_worker_command (empty);
  g_test_assert_expected_messages ();
}

int
main (int   argc,
      char *argv[])
{
  /* Before pmap_host_workers(), so that workers know it. */
  pmap_serializer_register ("arith", TEST_TYPE_ARITH);
  if (TEST_HOSTS_WORKERS)
    pmap_host_workers ();

  test_init (&argc, &argv);

  if (TEST_HOSTS_WORKERS)
    {
      g_test_add_func ("/Pmap/Serialized/hosted/processes", test_processes);
      g_test_add_data_func ("/Pmap/Serialized/hosted/error", "processes", test_error);
      g_test_add_func ("/Pmap/Serialized/hosted/registered-late", test_registered_late);
      g_test_add_func ("/Pmap/Serialized/hosted/worker-command", test_worker_command);
      g_test_add_func ("/Pmap/Serialized/hosted/worker-command-missing", test_worker_command_missing);
      return g_test_run ();
    }

  g_test_add_func ("/Pmap/Serialized/register", test_register);
  g_test_add_func ("/Pmap/Serialized/base-call", test_base_call);
  g_test_add_data_func ("/Pmap/Serialized/in-process/threads", "threads", test_in_process);
  g_test_add_data_func ("/Pmap/Serialized/in-process/sequential", "sequential", test_in_process);
  g_test_add_func ("/Pmap/Serialized/in-process/async", test_in_process_async);
  g_test_add_data_func ("/Pmap/Serialized/in-process/error", "threads", test_error);
  g_test_add_func ("/Pmap/Serialized/processes/unknown-to-helper", test_unknown_to_helper);
  g_test_add_func ("/Pmap/Serialized/preconditions", test_preconditions);

  return g_test_run ();
}
