/* pmap-channel-state-private.h: what both halves of a channel share
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * pmap-channel.c writes, pmap-channel-receive.c reads; both see the
 * channel's state, which nothing else does.
 */

#pragma once

#include "pmap-channel-private.h"

G_BEGIN_DECLS

#define BUFFER_SIZE (64 * 1024)

/* Descriptors received ahead of their frames; more means a broken peer. */
#define MAX_QUEUED_FDS 16

/* How long a blocked receive waits before it asks whether to give up. */
#define ABORT_POLL_INTERVAL_MS 20

struct _PmapChannel
{
  int         fd;

  GByteArray *out;

  guint8     *in;
  gsize       in_start;
  gsize       in_end;

  /* Descriptors that came with the data read so far, oldest first. */
  GQueue      fds;
  gboolean    too_many_fds;

  /* Asked while a write waits for room. */
  PmapAbortFunc abort_func;
  gpointer      abort_data;

  /* The parent's memfd for large messages, reused from one to the next so
   * that its pages are allocated once, but only while the worker no longer
   * maps it: a worker lets go of a batch once it has answered it, but a
   * task may keep an input, which must not change under it. */
  guint64     memfd_threshold;
  gboolean    reuse_memfd;
  int         peer_pid;
  int         arena_fd;
  guint8     *arena;
  gsize       arena_size;
};

gboolean pmap_channel_set_io_error (GError     **error,
                                    const char  *what);

G_END_DECLS
