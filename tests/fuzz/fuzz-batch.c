/* fuzz-batch.c: a worker's end of its channel
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Feeds what a parent sends through a socketpair, descriptors included
 * (see fuzz-util.h for the input's format), to pmap_worker_serve(), the
 * loop of a worker process: frames read without the parent's strictness,
 * memfd frames that may be longer than announced, message kinds, BATCH
 * bodies ((sv)suva(uayt)) and their packed inputs, the serializer's name, and the
 * function reference that pmap_function_ref_resolve() decodes: "name"
 * (the functions registered below), "address" (found in no object here,
 * see fuzz-util.c) and "serialized". The worker runs the batch's tasks and
 * sends their results, which the peer reads and drops.
 *
 * A worker trusts its parent, but no message, whatever it holds, may make
 * it read or write memory that is not its own.
 */

#include "config.h"

#include <gio/gio.h>

#include "fuzz-util.h"
#include "pmap-glib.h"
#include "pmap-worker-private.h"

static GVariant *
identity (GVariant  *input,
          gpointer   user_data,
          GError   **error)
{
  return g_variant_ref (input);
}

static GVariant *
fail (GVariant  *input,
      gpointer   user_data,
      GError   **error)
{
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "This task fails");
  return NULL;
}

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  pmap_fuzz_init ();
  pmap_register_function ("identity", identity, NULL, NULL);
  pmap_register_function ("fail", fail, NULL, NULL);
  return 0;
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  static gint running_task;
  guint n_fds = pmap_fuzz_count_fds ();
  PmapFuzzPeer *peer;
  int fd;

  peer = pmap_fuzz_peer_new (data, size, &fd);
  /* Closes @fd when it returns, which ends the peer. */
  pmap_worker_serve (fd, &running_task);
  pmap_fuzz_peer_free (peer);
  /* Every descriptor that came with the input was closed. */
  g_assert_cmpuint (pmap_fuzz_count_fds (), ==, n_fds);
  return 0;
}
