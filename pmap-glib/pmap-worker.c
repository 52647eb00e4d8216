/* pmap-worker.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <stdlib.h>
#include <unistd.h>

#include <gio/gio.h>

#include "pmap-error.h"
#include "pmap-function-ref-private.h"
#include "pmap-protocol-private.h"
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
 * A program that does not call it is never re-executed: its workers run
 * the `pmap-worker` helper, which can run registered functions of modules
 * loaded with [func@Pmap.load_module] and functions of shared libraries,
 * but not functions of the program itself.
 *
 * Functions that a worker must find by name are registered before this
 * call, or by a module.
 *
 * Since: 1.0
 */
void
pmap_host_workers (void)
{
  const char *fd_text = g_getenv (PMAP_WORKER_FD_ENV);
  guint64 fd;

  hosting = TRUE;

  if (fd_text == NULL)
    return;

  if (!g_ascii_string_to_unsigned (fd_text, 10, 0, G_MAXINT, &fd, NULL))
    {
      g_printerr ("pmap worker: %s is “%s”, not a file descriptor\n",
                  PMAP_WORKER_FD_ENV, fd_text);
      exit (EXIT_FAILURE);
    }

  /* Whatever the tasks start must not take itself for a worker. */
  g_unsetenv (PMAP_WORKER_FD_ENV);

  exit (pmap_worker_serve (fd));
}

gboolean
pmap_worker_is_hosting (void)
{
  return hosting;
}

static gboolean
send_error (int          fd,
            guint        index,
            const GError *error)
{
  g_autoptr(GError) send_error = NULL;

  if (pmap_protocol_send (fd, PMAP_MESSAGE_ERROR,
                          g_variant_new ("(usis)", index,
                                         g_quark_to_string (error->domain),
                                         error->code, error->message),
                          &send_error))
    return TRUE;

  g_printerr ("pmap worker %d: %s\n", (int) getpid (), send_error->message);
  return FALSE;
}

/* The function of the previous batch, kept while batches name the same. */
typedef struct
{
  GVariant     *ref;
  PmapCallable *callable;
} FunctionCache;

static PmapCallable *
resolve_cached (FunctionCache  *cache,
                GVariant       *ref,
                GError        **error)
{
  if (cache->ref == NULL || !g_variant_equal (cache->ref, ref))
    {
      g_clear_pointer (&cache->ref, g_variant_unref);
      g_clear_pointer (&cache->callable, pmap_callable_unref);

      cache->callable = pmap_function_ref_resolve (ref, error);
      if (cache->callable == NULL)
        return NULL;
      cache->ref = g_variant_ref (ref);
    }

  return cache->callable;
}

/* Runs a batch and answers each task, stopping at the first failure as the
 * parent does. Returns FALSE when the channel is broken. */
static gboolean
run_batch (int            fd,
           FunctionCache *cache,
           GVariant      *batch)
{
  g_autoptr(GVariant) ref = NULL;
  g_autoptr(GVariant) inputs = NULL;
  g_autoptr(GError) error = NULL;
  PmapCallable *callable;
  guint first;
  gsize n_inputs;

  g_variant_get (batch, "(@(sv)u@av)", &ref, &first, &inputs);
  n_inputs = g_variant_n_children (inputs);

  callable = resolve_cached (cache, ref, &error);
  if (callable == NULL)
    return send_error (fd, first, error);

  for (gsize i = 0; i < n_inputs; i++)
    {
      g_autoptr(GVariant) boxed = g_variant_get_child_value (inputs, i);
      g_autoptr(GVariant) input = g_variant_get_variant (boxed);
      g_autoptr(GVariant) result = pmap_callable_invoke (callable, input, &error);
      g_autoptr(GVariant) normal = NULL;

      if (result == NULL)
        return send_error (fd, first + i, error);

      /* The parent takes messages in normal form only, and a value read
       * from untrusted bytes, such as an input that the function returns,
       * need not be in it. */
      normal = g_variant_get_normal_form (result);

      if (!pmap_protocol_send (fd, PMAP_MESSAGE_RESULT,
                               g_variant_new ("(uv)", (guint32) (first + i), normal),
                               &error))
        {
          /* A result too large for a message fails its task, not the
           * worker. */
          if (g_error_matches (error, PMAP_ERROR, PMAP_ERROR_NOT_SERIALIZABLE))
            return send_error (fd, first + i, error);

          g_printerr ("pmap worker %d: %s\n", (int) getpid (), error->message);
          return FALSE;
        }
    }

  return TRUE;
}

/* Serves the parent on @fd until it says to quit or closes the channel.
 * Returns the process's exit status. */
int
pmap_worker_serve (int fd)
{
  FunctionCache cache = { NULL, NULL };
  g_autoptr(GError) error = NULL;
  int status = EXIT_SUCCESS;

  if (!pmap_protocol_send (fd, PMAP_MESSAGE_HELLO,
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

      body = pmap_protocol_receive (fd, FALSE, NULL, NULL, &kind, &error);
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

      if (kind != PMAP_MESSAGE_BATCH)
        {
          g_printerr ("pmap worker %d: the parent sent a message of kind %u, "
                      "which only a worker sends\n", (int) getpid (), kind);
          status = EXIT_FAILURE;
          break;
        }

      if (!run_batch (fd, &cache, body))
        {
          status = EXIT_FAILURE;
          break;
        }
    }

  g_clear_pointer (&cache.ref, g_variant_unref);
  g_clear_pointer (&cache.callable, pmap_callable_unref);
  close (fd);

  return status;
}
