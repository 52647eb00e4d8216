/* pmap-test-util.h: what the C tests share
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <string.h>

#include <gio/gio.h>

#include <pmap-glib/pmap-glib.h>

G_BEGIN_DECLS

/* A PmapFunc that squares int64 inputs and records how it was called. Its
 * behaviour is set in the fields before the map starts; the counters are
 * read once it has returned. */
typedef struct
{
  /* Settings. */
  gint64        fail_at;      /* input that fails with G_IO_ERROR_INVALID_DATA */
  gint64        missing_at;   /* input that returns NULL with no error */
  gulong        sleep_us;     /* how long each call sleeps */
  GCancellable *cancellable;  /* cancelled by the call that makes cancel_after */
  gint          cancel_after;

  /* Records. */
  gint          n_calls;
  gint          n_running;    /* calls that have started and not returned */
  gint          n_destroyed;  /* calls of test_probe_destroy() */
  GThread      *destroy_thread;
  GMutex        mutex;
  GHashTable   *threads;      /* the GThreads that ran a call */
} TestProbe;

void       test_probe_init        (TestProbe    *probe);
void       test_probe_clear       (TestProbe    *probe);
GVariant  *test_probe_square      (GVariant     *input,
                                   gpointer      probe,
                                   GError      **error);
void       test_probe_destroy     (gpointer      probe);
gboolean   test_probe_ran_only_on (TestProbe    *probe,
                                   GThread      *thread);

/* How many calls a map of @n_items tasks on 2 jobs with automatic batches
 * may make when one of its first few calls fails or cancels it, with calls
 * of 1 ms:
 * the first batches hold 1/4 and 3/16 of the tasks, so a map that stopped
 * only between batches, not between the tasks of a running batch, would
 * make more. */
#define TEST_STOPPED_MAP_MAX_CALLS(n_items) ((n_items) / 10)

/* Owned int64 inputs 0 … n-1; pass (GVariant **) items->pdata to a map. */
GPtrArray *test_items_new         (guint         n_items);
/* Owned int64 inputs: @first … @first + @n - 1; @value, @n times; the
 * @n of @values. */
GPtrArray *test_int64_items_new   (gint64        first,
                                   guint         n);
GPtrArray *test_int64_items_repeat (gint64       value,
                                    guint        n);
GPtrArray *test_int64_items_of    (const gint64 *values,
                                   guint         n);
void       test_assert_squares    (GPtrArray    *results,
                                   guint         n_items);

/* Maps test_probe_square() over @n_items owned inputs, blocking or on the
 * thread-default main context, and checks what every map promises: no
 * call is running once it returns; asynchronously, no callback from inside
 * map_async(), the callback on this thread and context, and the probe's
 * test_probe_destroy() called exactly once, here. */
GPtrArray *test_map               (PmapExecutor  *executor,
                                   TestProbe     *probe,
                                   guint          n_items,
                                   GCancellable  *cancellable,
                                   GError       **error);
GPtrArray *test_map_async         (PmapExecutor  *executor,
                                   TestProbe     *probe,
                                   guint          n_items,
                                   GCancellable  *cancellable,
                                   GError       **error);

/* Results (@expected (i), pid) of a map on the processes backend: each
 * from a process other than this one, and from @max_workers processes at
 * most, one per job. */
void       test_assert_remote_results (GPtrArray *results,
                                       guint      n_items,
                                       gint64   (*expected) (gint64 x),
                                       guint      max_workers);

/* The error of test_probe_square() failing on input @index. */
void       test_assert_task_error (const GError  *error,
                                   guint          index);

/* Records the progress signals of a map. */
typedef struct
{
  GArray   *n_done;
  guint     n_tasks;
  gboolean  other_thread;  /* an emission came from another thread */
  gboolean  tasks_changed; /* n_tasks varied between emissions */
  GThread  *thread;        /* the thread expected to emit */
  /* Cancelled once n_done reaches cancel_at, if set. */
  GCancellable *cancellable;
  guint     cancel_at;
} TestProgress;

void       test_progress_init     (TestProgress *progress,
                                   PmapExecutor *executor);
void       test_progress_clear    (TestProgress *progress);
void       test_progress_assert   (TestProgress *progress,
                                   guint         n_tasks,
                                   guint         max_emissions);

/* Waits on the thread-default main context for an async map's result. */
typedef struct
{
  GMainLoop    *loop;
  GAsyncResult *result;
  GThread      *thread;       /* where the callback ran */
  GMainContext *context;      /* the thread-default context it ran in */
} TestAsync;

void          test_async_init     (TestAsync    *async);
void          test_async_clear    (TestAsync    *async);
void          test_async_ready    (GObject      *source,
                                   GAsyncResult *result,
                                   gpointer      async);
GAsyncResult *test_async_wait     (TestAsync    *async);

/* The native test module, named by PMAP_TEST_MODULE, loaded once. */
const char *test_module_path      (void);
void        test_load_module      (void);

/* g_test_init(), on an environment without PMAP_N_JOBS, PMAP_BACKEND or
 * PMAP_SERIALIZER, with PMAP_TEST_MODULE, PMAP_TEST_MODULE_WITHOUT_REGISTER
 * and PMAP_WORKER_PATH set. */
void        test_init             (int          *argc,
                                   char       ***argv);

/* Runs @check (@data) in a subprocess of the current test, with the
 * environment variable @variable set to @value, which the defaults read
 * once per process, and asserts that it passed. Call it from the test
 * function, which the subprocess runs again. */
void        test_check_with_variable (const char   *variable,
                                      const char   *value,
                                      GTestDataFunc check,
                                      gconstpointer data);

/* A "notify" handler that counts the notifications in the guint at
 * @user_data. */
void        test_count_notify     (GObject      *object,
                                   GParamSpec   *pspec,
                                   gpointer      user_data);

/* A serializer of our own for int64 values, counting its calls. A tagged
 * one encodes x as ("tagged", x), which only it decodes; an untagged one
 * as a floating copy of x, which the built-in serializers pass through, so
 * that a worker running one of those can take it. */
#define TEST_TYPE_SERIALIZER (test_serializer_get_type ())
G_DECLARE_FINAL_TYPE (TestSerializer, test_serializer, TEST, SERIALIZER, PmapSerializer)

struct _TestSerializer
{
  PmapSerializer parent_instance;

  gboolean       tagged;
  gint64         refuse;            /* the input that encode() refuses */
  gboolean       refuse_silently;   /* with no error set */
  gboolean       decode_nothing;    /* decode() returns NULL, no error set */
  gint           n_encoded;
  gint           n_decoded;
};

TestSerializer *test_serializer_new (const char *name,
                                     gboolean    tagged);

/* An executor of 2 jobs on a new backend named @backend_name, with
 * @serializer. */
PmapExecutor *test_executor_new_with  (const char     *backend_name,
                                       PmapSerializer *serializer);
/* The same with a new serializer named @serializer_name. */
PmapExecutor *test_executor_new_named (const char     *backend_name,
                                       const char     *serializer_name);

/* Maps @wrapped over int64 inputs 0 … @n_items - 1, blocking or
 * asynchronously on the thread-default main context, where it checks that
 * the callback ran on this thread and context. */
GPtrArray  *test_map_wrapped      (PmapExecutor  *executor,
                                   PmapWrapped   *wrapped,
                                   guint          n_items,
                                   gboolean       async,
                                   GError       **error);

/* Fails the test, saying which, unless each of the NULL-terminated
 * @phrases is in @error's message. */
void        test_assert_message_has (const GError *error,
                                     const char   *const *phrases);

G_END_DECLS
