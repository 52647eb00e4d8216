/* fuzz-frame.c: the parent's end of a worker channel
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Feeds what a worker sends through a socketpair, descriptors included
 * (see fuzz-util.h for the input's format), to pmap_channel_receive() as
 * the parent calls it: strict, with an abort function. Covers the framing
 * of docs/protocol.md: headers and their magic numbers, lengths, bodies in
 * the buffer, read whole or grown as they come, memfd frames with their
 * descriptors, seals and sizes, descriptors ahead of their frames, and the
 * decoding of each body into a message of a known kind and type. Every
 * frame is read until one fails, as the parent reads a worker's answers.
 */

#include "config.h"

#include <gio/gio.h>

#include "fuzz-util.h"
#include "pmap-channel-private.h"
#include "pmap-error.h"

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  pmap_fuzz_init ();
  return 0;
}

/* The parent asks whether the map stopped while it waits; it never did. */
static gboolean
never_stop (gpointer user_data)
{
  return FALSE;
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  guint n_fds = pmap_fuzz_count_fds ();
  PmapFuzzPeer *peer;
  PmapChannel *channel;
  int fd;

  peer = pmap_fuzz_peer_new (data, size, &fd);
  channel = pmap_channel_new (fd);

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GVariant) body = NULL;
      PmapMessageKind kind;

      body = pmap_channel_receive (channel, TRUE, never_stop, NULL, &kind, &error);
      if (body == NULL)
        {
          g_assert (error != NULL);
          g_assert (error->domain == PMAP_ERROR || error->domain == G_IO_ERROR);
          break;
        }

      g_assert_no_error (error);
      g_assert (g_variant_is_of_type (body, pmap_message_body_type (kind)));
      /* As the parent does of an idle worker's channel. */
      pmap_channel_is_quiet (channel);
    }

  pmap_channel_free (channel);
  pmap_fuzz_peer_free (peer);
  /* Every descriptor that came with the input was closed. */
  g_assert_cmpuint (pmap_fuzz_count_fds (), ==, n_fds);
  return 0;
}
