/* pmap-test-util.c: what the C tests share
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <unistd.h>

#include "pmap-test-util.h"

void
test_probe_init (TestProbe *probe)
{
  memset (probe, 0, sizeof *probe);
  probe->fail_at = -1;
  probe->missing_at = -1;
  g_mutex_init (&probe->mutex);
  probe->threads = g_hash_table_new (NULL, NULL);
}

void
test_probe_clear (TestProbe *probe)
{
  g_clear_pointer (&probe->threads, g_hash_table_unref);
  g_mutex_clear (&probe->mutex);
}

GVariant *
test_probe_square (GVariant  *input,
                   gpointer   user_data,
                   GError   **error)
{
  TestProbe *probe = user_data;
  gint64 x = g_variant_get_int64 (input);
  GVariant *result = NULL;
  gint n_calls;

  g_atomic_int_inc (&probe->n_running);
  n_calls = g_atomic_int_add (&probe->n_calls, 1) + 1;

  g_mutex_lock (&probe->mutex);
  g_hash_table_add (probe->threads, g_thread_self ());
  g_mutex_unlock (&probe->mutex);

  if (probe->cancellable != NULL && n_calls == probe->cancel_after)
    g_cancellable_cancel (probe->cancellable);

  if (probe->sleep_us > 0)
    g_usleep (probe->sleep_us);

  if (x == probe->fail_at)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                 "no square for %" G_GINT64_FORMAT, x);
  else if (x != probe->missing_at)
    result = g_variant_new_int64 (x * x);

  g_atomic_int_add (&probe->n_running, -1);

  return result;
}

void
test_probe_destroy (gpointer user_data)
{
  TestProbe *probe = user_data;

  probe->destroy_thread = g_thread_self ();
  g_atomic_int_inc (&probe->n_destroyed);
}

gboolean
test_probe_ran_only_on (TestProbe *probe,
                        GThread   *thread)
{
  gboolean only;

  g_mutex_lock (&probe->mutex);
  only = (g_hash_table_size (probe->threads) == 1 &&
          g_hash_table_contains (probe->threads, thread));
  g_mutex_unlock (&probe->mutex);

  return only;
}

/* @n int64 inputs, the @i-th of value @first + @i * @step, or @values[i]
 * if given. */
static GPtrArray *
int64_items_new (gint64        first,
                 gint64        step,
                 const gint64 *values,
                 guint         n)
{
  GPtrArray *items = g_ptr_array_new_full (n, (GDestroyNotify) g_variant_unref);

  for (guint i = 0; i < n; i++)
    {
      gint64 value = values != NULL ? values[i] : first + (gint64) i * step;

      g_ptr_array_add (items, g_variant_ref_sink (g_variant_new_int64 (value)));
    }

  return items;
}

GPtrArray *
test_items_new (guint n_items)
{
  return int64_items_new (0, 1, NULL, n_items);
}

GPtrArray *
test_int64_items_new (gint64 first,
                      guint  n)
{
  return int64_items_new (first, 1, NULL, n);
}

GPtrArray *
test_int64_items_repeat (gint64 value,
                         guint  n)
{
  return int64_items_new (value, 0, NULL, n);
}

GPtrArray *
test_int64_items_of (const gint64 *values,
                     guint         n)
{
  return int64_items_new (0, 0, values, n);
}

void
test_assert_squares (GPtrArray *results,
                     guint      n_items)
{
  g_assert_nonnull (results);
  g_assert_cmpuint (results->len, ==, n_items);

  for (guint i = 0; i < n_items; i++)
    {
      GVariant *result = g_ptr_array_index (results, i);

      g_assert_nonnull (result);
      g_assert_false (g_variant_is_floating (result));
      g_assert_true (g_variant_is_of_type (result, G_VARIANT_TYPE_INT64));
      g_assert_cmpint (g_variant_get_int64 (result), ==, (gint64) i * i);
    }
}

static void
record_progress (PmapExecutor *executor,
                 guint         n_done,
                 guint         n_tasks,
                 TestProgress *progress)
{
  if (g_thread_self () != progress->thread)
    progress->other_thread = TRUE;
  if (progress->n_done->len > 0 && n_tasks != progress->n_tasks)
    progress->tasks_changed = TRUE;

  progress->n_tasks = n_tasks;
  g_array_append_val (progress->n_done, n_done);

  if (progress->cancellable != NULL && n_done >= progress->cancel_at)
    g_cancellable_cancel (progress->cancellable);
}

void
test_progress_init (TestProgress *progress,
                    PmapExecutor *executor)
{
  memset (progress, 0, sizeof *progress);
  progress->n_done = g_array_new (FALSE, FALSE, sizeof (guint));
  progress->thread = g_thread_self ();
  g_signal_connect (executor, "progress", G_CALLBACK (record_progress), progress);
}

void
test_progress_clear (TestProgress *progress)
{
  g_clear_pointer (&progress->n_done, g_array_unref);
}

/* A complete map's progress: on the expected thread, rising strictly, with
 * a constant task count, ending at @n_tasks, at most @max_emissions times. */
void
test_progress_assert (TestProgress *progress,
                      guint         n_tasks,
                      guint         max_emissions)
{
  GArray *n_done = progress->n_done;

  g_assert_false (progress->other_thread);
  g_assert_false (progress->tasks_changed);
  g_assert_cmpuint (n_done->len, >=, 1);
  g_assert_cmpuint (n_done->len, <=, max_emissions);
  g_assert_cmpuint (progress->n_tasks, ==, n_tasks);

  for (guint i = 1; i < n_done->len; i++)
    g_assert_cmpuint (g_array_index (n_done, guint, i - 1), <,
                      g_array_index (n_done, guint, i));

  g_assert_cmpuint (g_array_index (n_done, guint, n_done->len - 1), ==, n_tasks);
}

void
test_async_init (TestAsync *async)
{
  memset (async, 0, sizeof *async);
  async->loop = g_main_loop_new (g_main_context_get_thread_default (), FALSE);
}

void
test_async_clear (TestAsync *async)
{
  g_clear_object (&async->result);
  g_clear_pointer (&async->loop, g_main_loop_unref);
}

void
test_async_ready (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  TestAsync *async = user_data;

  g_assert_null (async->result);
  async->result = g_object_ref (result);
  async->thread = g_thread_self ();
  async->context = g_main_context_get_thread_default ();
  g_main_loop_quit (async->loop);
}

GAsyncResult *
test_async_wait (TestAsync *async)
{
  if (async->result == NULL)
    g_main_loop_run (async->loop);

  return async->result;
}

GPtrArray *
test_map (PmapExecutor  *executor,
          TestProbe     *probe,
          guint          n_items,
          GCancellable  *cancellable,
          GError       **error)
{
  g_autoptr(GPtrArray) items = test_items_new (n_items);
  GPtrArray *results;

  results = pmap_executor_map (executor, (GVariant **) items->pdata, n_items,
                               test_probe_square, probe, cancellable, error);
  g_assert_cmpint (g_atomic_int_get (&probe->n_running), ==, 0);

  return results;
}

GPtrArray *
test_map_async (PmapExecutor  *executor,
                TestProbe     *probe,
                guint          n_items,
                GCancellable  *cancellable,
                GError       **error)
{
  GMainContext *context = g_main_context_get_thread_default ();
  g_autoptr(GPtrArray) items = test_items_new (n_items);
  GPtrArray *results;
  TestAsync async;

  test_async_init (&async);
  pmap_executor_map_async (executor, (GVariant **) items->pdata, n_items,
                           test_probe_square, probe, test_probe_destroy,
                           cancellable, test_async_ready, &async);
  g_assert_null (async.result);
  /* The map holds its own references on the inputs. */
  g_clear_pointer (&items, g_ptr_array_unref);

  results = pmap_executor_map_finish (executor, test_async_wait (&async), error);
  g_assert_true (async.thread == g_thread_self ());
  g_assert_true (async.context == context);
  g_assert_cmpint (g_atomic_int_get (&probe->n_running), ==, 0);

  while (g_main_context_iteration (context, FALSE))
    ;
  g_assert_cmpint (probe->n_destroyed, ==, 1);
  g_assert_true (probe->destroy_thread == g_thread_self ());

  test_async_clear (&async);
  return results;
}

void
test_assert_remote_results (GPtrArray *results,
                            guint      n_items,
                            gint64   (*expected) (gint64 x),
                            guint      max_workers)
{
  g_autoptr(GHashTable) pids = g_hash_table_new (NULL, NULL);

  g_assert_nonnull (results);
  g_assert_cmpuint (results->len, ==, n_items);

  for (guint i = 0; i < n_items; i++)
    {
      gint64 value;
      gint32 pid;

      g_variant_get (g_ptr_array_index (results, i), "(xi)", &value, &pid);
      g_assert_cmpint (value, ==, expected (i));
      g_assert_cmpint (pid, >, 0);
      g_hash_table_add (pids, GINT_TO_POINTER (pid));
    }

  g_assert_false (g_hash_table_contains (pids, GINT_TO_POINTER (getpid ())));
  g_assert_cmpuint (g_hash_table_size (pids), <=, max_workers);
}

void
test_assert_task_error (const GError *error,
                        guint         index)
{
  g_autofree char *prefix = g_strdup_printf ("Task %u failed: ", index);
  g_autofree char *message = g_strdup_printf ("no square for %u", index);

  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_true (g_str_has_prefix (error->message, prefix));
  g_assert_nonnull (strstr (error->message, message));
}

const char *
test_module_path (void)
{
  return g_getenv ("PMAP_TEST_MODULE");
}

void
test_load_module (void)
{
  static gboolean loaded;
  g_autoptr(GError) error = NULL;

  if (loaded)
    return;

  loaded = pmap_load_module (test_module_path (), &error);
  g_assert_no_error (error);
  g_assert_true (loaded);
}

void
test_check_with_variable (const char    *variable,
                          const char    *value,
                          GTestDataFunc  check,
                          gconstpointer  data)
{
  if (g_test_subprocess ())
    {
      g_setenv (variable, value, TRUE);
      check (data);
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

void
test_init (int    *argc,
           char ***argv)
{
  static const struct {
    const char *variable;
    const char *path;  /* from the tests' build folder */
  } built[] = {
    { "PMAP_TEST_MODULE", "libpmap-test-module.so" },
    { "PMAP_TEST_MODULE_WITHOUT_REGISTER", "libpmap-test-module-without-register.so" },
    { "PMAP_WORKER_PATH", "../pmap-glib/pmap-worker" },
  };

  /* Before any thread starts: the defaults under test come from these. */
  g_unsetenv ("PMAP_N_JOBS");
  g_unsetenv ("PMAP_BACKEND");
  g_unsetenv ("PMAP_SERIALIZER");

  g_test_init (argc, argv, NULL);

  /* meson names the test modules and the pmap-worker helper; a test run
   * by hand finds them in the build tree. */
  for (guint i = 0; i < G_N_ELEMENTS (built); i++)
    {
      g_autofree char *path = NULL;

      if (g_getenv (built[i].variable) != NULL)
        continue;
      path = g_test_build_filename (G_TEST_BUILT, built[i].path, NULL);
      g_setenv (built[i].variable, path, TRUE);
    }
}

void
test_count_notify (GObject    *object,
                   GParamSpec *pspec,
                   gpointer    user_data)
{
  (*(guint *) user_data)++;
}

G_DEFINE_FINAL_TYPE (TestSerializer, test_serializer, PMAP_TYPE_SERIALIZER)

static GVariant *
test_serializer_encode (PmapSerializer  *serializer,
                        GVariant        *value,
                        GError         **error)
{
  TestSerializer *self = TEST_SERIALIZER (serializer);
  gint64 x = g_variant_get_int64 (value);

  g_atomic_int_inc (&self->n_encoded);
  if (x == self->refuse)
    {
      if (!self->refuse_silently)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                     "%" G_GINT64_FORMAT " is not welcome here", x);
      return NULL;
    }

  if (self->tagged)
    return g_variant_ref_sink (g_variant_new ("(sx)", "tagged", x));

  return g_variant_new_int64 (x);
}

static GVariant *
test_serializer_decode (PmapSerializer  *serializer,
                        GVariant        *data,
                        GError         **error)
{
  TestSerializer *self = TEST_SERIALIZER (serializer);
  gint64 x;

  g_atomic_int_inc (&self->n_decoded);
  if (self->decode_nothing)
    return NULL;

  if (!self->tagged)
    return g_variant_new_int64 (g_variant_get_int64 (data));

  if (!g_variant_is_of_type (data, G_VARIANT_TYPE ("(sx)")))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "not tagged: %s", g_variant_get_type_string (data));
      return NULL;
    }

  g_variant_get (data, "(&sx)", NULL, &x);
  return g_variant_ref_sink (g_variant_new_int64 (x));
}

static void
test_serializer_class_init (TestSerializerClass *klass)
{
  PmapSerializerClass *serializer_class = PMAP_SERIALIZER_CLASS (klass);

  serializer_class->encode = test_serializer_encode;
  serializer_class->decode = test_serializer_decode;
}

static void
test_serializer_init (TestSerializer *self)
{
  self->refuse = G_MININT64;
}

TestSerializer *
test_serializer_new (const char *name,
                     gboolean    tagged)
{
  TestSerializer *self = g_object_new (TEST_TYPE_SERIALIZER, "name", name, NULL);

  self->tagged = tagged;
  return self;
}

PmapExecutor *
test_executor_new_with (const char     *backend_name,
                        PmapSerializer *serializer)
{
  g_autoptr(PmapBackend) backend = pmap_backend_create (backend_name, NULL);

  return g_object_new (PMAP_TYPE_EXECUTOR,
                       "backend", backend,
                       "serializer", serializer,
                       "n-jobs", 2,
                       NULL);
}

PmapExecutor *
test_executor_new_named (const char *backend_name,
                         const char *serializer_name)
{
  g_autoptr(PmapSerializer) serializer = pmap_serializer_create (serializer_name, NULL);

  g_assert_nonnull (serializer);
  return test_executor_new_with (backend_name, serializer);
}

GPtrArray *
test_map_wrapped (PmapExecutor  *executor,
                  PmapWrapped   *wrapped,
                  guint          n_items,
                  gboolean       async,
                  GError       **error)
{
  g_autoptr(GPtrArray) items = test_items_new (n_items);
  GPtrArray *results;
  TestAsync state;

  if (!async)
    return pmap_executor_map_wrapped (executor, wrapped, (GVariant **) items->pdata,
                                      n_items, NULL, error);

  test_async_init (&state);
  pmap_executor_map_wrapped_async (executor, wrapped, (GVariant **) items->pdata,
                                   n_items, NULL, test_async_ready, &state);
  g_assert_null (state.result);
  results = pmap_executor_map_wrapped_finish (executor, test_async_wait (&state), error);
  g_assert_true (state.thread == g_thread_self ());
  g_assert_true (state.context == g_main_context_get_thread_default ());
  test_async_clear (&state);

  return results;
}

void
test_assert_message_has (const GError *error,
                         const char   *const *phrases)
{
  for (guint i = 0; phrases[i] != NULL; i++)
    if (strstr (error->message, phrases[i]) == NULL)
      g_error ("“%s” is not in the message “%s”", phrases[i], error->message);
}
