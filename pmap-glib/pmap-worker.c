/* pmap-worker.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gio/gio.h>

#include "pmap-error.h"
#include "pmap-function-ref-private.h"
#include "pmap-channel-private.h"
#include "pmap-serializer-private.h"
#include "pmap-shared-private.h"
#include "pmap-worker-private.h"

static gboolean hosting;

/**
 * pmap_host_workers:
 *
 * Lets the `processes` backend run this program as its worker processes.
 * Call it first thing in `main()`, before anything else happens:
 *
 * ```c
 * int
 * main (int argc, char *argv[])
 * {
 *   pmap_host_workers ();
 *   ...
 * ```
 *
 * In the program that the user started, it only records that the program
 * agreed to be re-executed, and returns. In a worker process, which is
 * this same program started again by pmap-glib, it serves tasks and exits
 * without returning; nothing after it runs there.
 *
 * In Vala, `Pmap.host_workers ();` is the first statement of `main`.
 *
 * A program that does not call it is never re-executed: its workers run
 * the `pmap-worker` helper, which can run registered functions of modules
 * loaded with [func@Pmap.load_module] and functions of shared libraries,
 * but not functions of the program itself, which fail with
 * %PMAP_ERROR_NOT_SERIALIZABLE. pmap-glib asks for this call rather than
 * taking over the program when the library loads: linking a library must
 * not change what a program does, and only the program knows whether it
 * may be started again as a worker, as with Python's
 * `multiprocessing.freeze_support()`.
 *
 * Functions that a worker must find by name are registered before this
 * call, or by a module; a worker runs `main()` up to this call, so put
 * before it only what the workers need.
 *
 * It is for compiled programs. A Python or GJS script does not call it:
 * its process is the interpreter, which started again without the script
 * is no worker. The Python and JavaScript layers of pmap-glib name a
 * worker of their own with [func@Pmap.set_worker_command], which calls
 * this function in its interpreter. See
 * [Hosting workers](backends.html#hosting-workers) and
 * [Worker protocol](protocol.html).
 *
 * Since: 1.0
 */
void
pmap_host_workers (void)
{
  const char *fd_text = g_getenv (PMAP_WORKER_FD_ENV);
  const char *running_text = g_getenv (PMAP_WORKER_RUNNING_FD_ENV);
  gint *running_task = NULL;
  guint64 fd, running_fd;

  hosting = TRUE;

  if (fd_text == NULL)
    return;

  if (!g_ascii_string_to_unsigned (fd_text, 10, 0, G_MAXINT, &fd, NULL))
    {
      g_printerr ("pmap worker: %s is “%s”, not a file descriptor\n",
                  PMAP_WORKER_FD_ENV, fd_text);
      exit (EXIT_FAILURE);
    }

  if (running_text != NULL &&
      g_ascii_string_to_unsigned (running_text, 10, 0, G_MAXINT, &running_fd, NULL))
    {
      gpointer map = mmap (NULL, sizeof (gint), PROT_READ | PROT_WRITE,
                           MAP_SHARED, running_fd, 0);

      close (running_fd);
      if (map != MAP_FAILED)
        running_task = map;
    }

  /* Whatever the tasks start must not take itself for a worker. */
  g_unsetenv (PMAP_WORKER_FD_ENV);
  g_unsetenv (PMAP_WORKER_RUNNING_FD_ENV);

  exit (pmap_worker_serve (fd, running_task));
}

gboolean
pmap_worker_is_hosting (void)
{
  return hosting;
}

G_LOCK_DEFINE_STATIC (command);
static char **command;

/**
 * pmap_set_worker_command:
 * @argv: (array zero-terminated=1) (nullable): the program to start as a
 *   worker process and its arguments, or %NULL for the default
 *
 * Sets the command that the `processes` backend starts as its worker
 * processes. The command must call [func@Pmap.host_workers] in a process
 * that knows what the maps send it: the functions they name and the
 * serializers they use. @argv[0] is looked for in `PATH` when it holds no
 * slash.
 *
 * The default is this program when it called [func@Pmap.host_workers],
 * else the `pmap-worker` helper (`PMAP_WORKER_PATH` overrides where it
 * is). The Python and JavaScript layers of pmap-glib set a command that
 * starts their interpreter on a worker module of theirs, so that Python
 * and JavaScript functions run in workers.
 *
 * Workers that are idle stay for the maps that would start the same
 * command; the next map starts workers with the new one.
 *
 * Since: 1.0
 */
void
pmap_set_worker_command (const char * const *argv)
{
  g_return_if_fail (argv == NULL || argv[0] != NULL);

  G_LOCK (command);
  g_strfreev (command);
  command = g_strdupv ((char **) argv);
  G_UNLOCK (command);
}

const char *
pmap_worker_command_advice (gboolean not_found)
{
  gboolean command_set;

  G_LOCK (command);
  command_set = command != NULL;
  G_UNLOCK (command);

  if (command_set)
    return "check the command given to pmap_set_worker_command(), which "
           "must start a process that calls pmap_host_workers()";
  if (not_found)
    return "install pmap-worker or set PMAP_WORKER_PATH to it, or call "
           "pmap_host_workers() at the start of main()";
  return "if this program calls pmap_host_workers(), call it first in main()";
}

char **
pmap_worker_dup_command (void)
{
  static char *self_exe;
  const char *helper;
  char **argv;

  G_LOCK (command);
  argv = g_strdupv (command);
  G_UNLOCK (command);
  if (argv != NULL)
    return argv;

  if (hosting)
    {
      if (g_once_init_enter (&self_exe))
        g_once_init_leave (&self_exe, g_file_read_link ("/proc/self/exe", NULL));
      if (self_exe != NULL)
        return g_strdupv ((char *[]) { self_exe, NULL });
    }

  helper = g_getenv ("PMAP_WORKER_PATH");
  return g_strdupv ((char *[]) { (char *) (helper != NULL ? helper : PMAP_WORKER_INSTALLED_PATH),
                                 NULL });
}

static gboolean
send_error (PmapChannel  *channel,
            guint         index,
            const GError *error)
{
  g_autoptr(GError) send_error = NULL;

  if (pmap_channel_send (channel, PMAP_MESSAGE_ERROR,
                         g_variant_new ("(usis)", index,
                                        g_quark_to_string (error->domain),
                                        error->code, error->message),
                         &send_error))
    return TRUE;

  g_printerr ("pmap worker %d: %s\n", (int) getpid (), send_error->message);
  return FALSE;
}

/* The function and serializer of the previous batch, kept while batches
 * name the same. */
typedef struct
{
  GVariant       *ref;
  PmapCallable   *callable;
  PmapSerializer *serializer;
} FunctionCache;

static PmapSerializer *
serializer_cached (FunctionCache  *cache,
                   const char     *name,
                   GError        **error)
{
  if (cache->serializer == NULL ||
      g_strcmp0 (pmap_serializer_get_name (cache->serializer), name) != 0)
    {
      g_clear_object (&cache->serializer);
      cache->serializer = pmap_serializer_create (name, error);
    }

  return cache->serializer;
}

/* Whether two references are the same bytes: g_variant_equal() prints
 * values it does not trust to compare them. The parent builds the
 * reference of a function the same way each time; two that differ in
 * bytes only cost a second resolution. */
static gboolean
same_bytes (GVariant *a,
            GVariant *b)
{
  gsize size = g_variant_get_size (a);

  return size == g_variant_get_size (b) &&
         g_variant_type_equal (g_variant_get_type (a), g_variant_get_type (b)) &&
         memcmp (g_variant_get_data (a), g_variant_get_data (b), size) == 0;
}

static PmapCallable *
resolve_cached (FunctionCache  *cache,
                GVariant       *ref,
                GError        **error)
{
  if (cache->ref == NULL || !same_bytes (cache->ref, ref))
    {
      /* A copy: @ref may lie in the parent's memfd, which the parent
       * rewrites for a later batch once nothing here maps it, and the
       * function resolved from it may keep parts of it. */
      g_autoptr(GBytes) copy = g_bytes_new (g_variant_get_data (ref),
                                            g_variant_get_size (ref));

      g_clear_pointer (&cache->ref, g_variant_unref);
      g_clear_pointer (&cache->callable, pmap_callable_unref);

      cache->ref = g_variant_ref_sink (g_variant_new_from_bytes (g_variant_get_type (ref),
                                                                 copy, FALSE));
      cache->callable = pmap_function_ref_resolve (cache->ref, error);
      if (cache->callable == NULL)
        {
          g_clear_pointer (&cache->ref, g_variant_unref);
          return NULL;
        }
    }

  return cache->callable;
}

/* Results wait while tasks are quick, so that many travel in one message,
 * but never longer than this, nor more of them than that. */
#define MAX_RESULT_DELAY_US 2000
#define MAX_PENDING_RESULTS 4096

typedef struct
{
  PmapChannel   *channel;
  gint          *running_task;
  FunctionCache  cache;
  /* The values that the parent shared, until it says to forget them. */
  PmapShareStore *shares;

  /* Results of consecutive tasks from first_pending on, not sent yet. */
  PmapPacker    *pending;
  guint          first_pending;
  gint64         oldest_pending;
} Worker;

static gboolean
send_results (Worker  *worker,
              GError **error)
{
  if (pmap_packer_get_n_values (worker->pending) == 0)
    return TRUE;

  return pmap_channel_send (worker->channel, PMAP_MESSAGE_RESULTS,
                            g_variant_new ("(uv)", worker->first_pending,
                                           pmap_packer_end (worker->pending)),
                            error);
}

static gboolean
add_result (Worker    *worker,
            guint      index,
            GVariant  *result,
            GError   **error)
{
  gint64 now = g_get_monotonic_time ();
  /* The parent takes messages in normal form only, and a value read from
   * untrusted bytes, such as an input that the function returns, need not
   * be in it. */
  g_autoptr(GVariant) normal = g_variant_get_normal_form (result);

  if (pmap_packer_get_n_values (worker->pending) == 0)
    {
      worker->first_pending = index;
      worker->oldest_pending = now;
    }
  pmap_packer_add (worker->pending, normal);

  if (pmap_packer_get_n_values (worker->pending) >= MAX_PENDING_RESULTS ||
      now - worker->oldest_pending > MAX_RESULT_DELAY_US)
    return send_results (worker, error) && pmap_channel_flush (worker->channel, error);

  return TRUE;
}

/* Answers a failed task, after the results of the tasks before it. */
static gboolean
fail_task (Worker       *worker,
           guint         index,
           const GError *error)
{
  g_autoptr(GError) local_error = NULL;

  if (!send_results (worker, &local_error))
    {
      g_printerr ("pmap worker %d: %s\n", (int) getpid (), local_error->message);
      return FALSE;
    }

  return send_error (worker->channel, index, error);
}

/* Runs a batch and answers its tasks, stopping at the first failure as the
 * parent does. Returns FALSE when the channel is broken. */
static gboolean
run_batch (Worker   *worker,
           GVariant *batch)
{
  g_autoptr(GVariant) ref = NULL;
  g_autoptr(GVariant) inputs = NULL;
  g_autoptr(GVariant) substitutions = NULL;
  g_autoptr(GError) error = NULL;
  PmapSerializer *serializer;
  PmapCallable *callable;
  const char *serializer_name;
  gboolean convert;
  guint first;
  gsize n_inputs;
  gsize next_substitution = 0;

  g_variant_get (batch, "(@(sv)&suv@a(uayt))", &ref, &serializer_name, &first, &inputs,
                 &substitutions);
  if (!g_variant_is_of_type (inputs, G_VARIANT_TYPE_ARRAY))
    {
      g_printerr ("pmap worker %d: the inputs of a batch are a %s, not an "
                  "array\n", (int) getpid (), g_variant_get_type_string (inputs));
      return FALSE;
    }
  n_inputs = g_variant_n_children (inputs);

  serializer = serializer_cached (&worker->cache, serializer_name, &error);
  if (serializer == NULL)
    return send_error (worker->channel, first, error);
  convert = !pmap_serializer_passes_values_through (serializer);

  callable = resolve_cached (&worker->cache, ref, &error);
  if (callable == NULL)
    return send_error (worker->channel, first, error);

  for (gsize i = 0; i < n_inputs; i++)
    {
      g_autoptr(GVariant) input = pmap_protocol_unpack (inputs, i);
      g_autoptr(GVariant) result = NULL;

      if (worker->running_task != NULL)
        g_atomic_int_set (worker->running_task, (gint) (first + i + 1));

      if (next_substitution < g_variant_n_children (substitutions))
        {
          g_autoptr(GVariant) sent = g_steal_pointer (&input);

          input = pmap_share_store_rebuild (worker->shares, sent, first + i, substitutions,
                                            &next_substitution, &error);
          if (input == NULL)
            return fail_task (worker, first + i, error);
        }

      if (convert)
        {
          g_autoptr(GVariant) data = g_steal_pointer (&input);

          input = pmap_serializer_decode (serializer, data, &error);
          if (input == NULL)
            return fail_task (worker, first + i, error);
        }

      result = pmap_callable_invoke (callable, input, &error);
      if (result != NULL && convert)
        {
          g_autoptr(GVariant) value = g_steal_pointer (&result);

          result = pmap_serializer_encode (serializer, value, &error);
        }
      if (result == NULL)
        return fail_task (worker, first + i, error);

      if (!add_result (worker, first + i, result, &error))
        {
          /* Results too large for a message fail their tasks, not the
           * worker. */
          if (g_error_matches (error, PMAP_ERROR, PMAP_ERROR_NOT_SERIALIZABLE))
            return send_error (worker->channel, worker->first_pending, error);

          g_printerr ("pmap worker %d: %s\n", (int) getpid (), error->message);
          return FALSE;
        }
    }

  if (!send_results (worker, &error))
    {
      if (g_error_matches (error, PMAP_ERROR, PMAP_ERROR_NOT_SERIALIZABLE))
        return send_error (worker->channel, worker->first_pending, error);

      g_printerr ("pmap worker %d: %s\n", (int) getpid (), error->message);
      return FALSE;
    }

  return TRUE;
}

/* How often a worker checks that its parent is alive. */
#define PARENT_CHECK_INTERVAL_US (100 * 1000)

/* A worker busy with a long task would notice its parent's death only when
 * it answers; this thread notices within PARENT_CHECK_INTERVAL_US, when the
 * worker is handed to another parent. Not PR_SET_PDEATHSIG: it fires when
 * the thread that started the worker ends, and the parent's threads come
 * and go while its workers stay. */
static gpointer
watch_parent (gpointer data)
{
  pid_t parent = GPOINTER_TO_INT (data);

  for (;;)
    {
      g_usleep (PARENT_CHECK_INTERVAL_US);
      if (getppid () != parent)
        _exit (EXIT_FAILURE);
    }

  return NULL;
}

/* Serves the parent on @fd until it says to quit or closes the channel.
 * Returns the process's exit status. */
int
pmap_worker_serve (int   fd,
                   gint *running_task)
{
  Worker worker = { pmap_channel_new (fd), running_task, { NULL, NULL, NULL },
                    pmap_share_store_new (), pmap_packer_new (),
                    0, 0 };
  static gsize watching = 0;
  g_autoptr(GError) error = NULL;
  int status = EXIT_SUCCESS;

  /* One watch for the process: a worker serves once, but a process that
   * serves channels in turn, as the fuzz test of the worker does, must not
   * gather watching threads. */
  if (g_once_init_enter (&watching))
    {
      g_thread_unref (g_thread_new ("pmap-parent-watch", watch_parent,
                                    GINT_TO_POINTER (getppid ())));
      g_once_init_leave (&watching, 1);
    }

  if (!pmap_channel_send (worker.channel, PMAP_MESSAGE_HELLO,
                          g_variant_new ("(ux)", PMAP_PROTOCOL_VERSION,
                                         (gint64) getpid ()),
                          &error))
    {
      g_printerr ("pmap worker %d: %s\n", (int) getpid (), error->message);
      return EXIT_FAILURE;
    }

  for (;;)
    {
      g_autoptr(GVariant) body = NULL;
      PmapMessageKind kind;

      /* Receiving flushes what the last batch left in the buffer. */
      body = pmap_channel_receive (worker.channel, FALSE, NULL, NULL, &kind, &error);
      if (body == NULL)
        {
          if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED))
            {
              g_printerr ("pmap worker %d: %s\n", (int) getpid (), error->message);
              status = EXIT_FAILURE;
            }
          break;
        }

      if (kind == PMAP_MESSAGE_QUIT)
        break;

      if (kind == PMAP_MESSAGE_SHARE)
        {
          if (pmap_share_store_add (worker.shares, worker.channel, body, &error))
            continue;
          g_printerr ("pmap worker %d: %s\n", (int) getpid (), error->message);
          status = EXIT_FAILURE;
          break;
        }

      if (kind == PMAP_MESSAGE_FORGET)
        {
          pmap_share_store_forget (worker.shares, body);
          continue;
        }

      if (kind != PMAP_MESSAGE_BATCH)
        {
          g_printerr ("pmap worker %d: the parent sent a message of kind %u, "
                      "which only a worker sends\n", (int) getpid (), kind);
          status = EXIT_FAILURE;
          break;
        }

      if (!run_batch (&worker, body))
        {
          status = EXIT_FAILURE;
          break;
        }
    }

  g_clear_pointer (&worker.cache.ref, g_variant_unref);
  g_clear_pointer (&worker.cache.callable, pmap_callable_unref);
  g_clear_object (&worker.cache.serializer);
  pmap_share_store_free (worker.shares);
  pmap_packer_free (worker.pending);
  pmap_channel_free (worker.channel);

  return status;
}
