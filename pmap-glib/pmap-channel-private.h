/* pmap-channel-private.h: one end of a worker channel, buffered
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "pmap-protocol-private.h"

G_BEGIN_DECLS

typedef struct _PmapChannel PmapChannel;

PmapChannel *pmap_channel_new      (int               fd);
void         pmap_channel_free     (PmapChannel      *self);
/* For the parent's end: large messages reuse one memfd, unsealed, while
 * the worker whose pid is @peer_pid does not map it any longer. */
void         pmap_channel_reuse_memfd (PmapChannel   *self,
                                       int            peer_pid);
/* Messages from this size on go as memfds; PMAP_PROTOCOL_MEMFD_THRESHOLD
 * unless set, never below PMAP_PROTOCOL_MIN_MEMFD_THRESHOLD. */
void         pmap_channel_set_memfd_threshold (PmapChannel *self,
                                               guint64      threshold);
/* What a write that waits for the peer to read asks whether to give up;
 * NULL waits as long as it takes. */
void         pmap_channel_set_abort (PmapChannel   *self,
                                     PmapAbortFunc  abort_func,
                                     gpointer       abort_data);
/* Queues a message; large ones, and a full buffer, go out at once. */
gboolean     pmap_channel_send     (PmapChannel      *self,
                                    PmapMessageKind   kind,
                                    GVariant         *body,
                                    GError          **error);
/* Sends a small message with a descriptor, which stays the caller's. */
gboolean     pmap_channel_send_with_fd (PmapChannel     *self,
                                        PmapMessageKind  kind,
                                        GVariant        *body,
                                        int              fd,
                                        GError         **error);
gboolean     pmap_channel_flush    (PmapChannel      *self,
                                    GError          **error);
/* Flushes, then returns the next message, or NULL with @error set:
 * G_IO_ERROR_CLOSED at the end of the stream between two frames,
 * G_IO_ERROR_PARTIAL_INPUT in the middle of one, PMAP_ERROR_PROTOCOL for a
 * frame that breaks the protocol, G_IO_ERROR_CANCELLED when @abort_func
 * gave up. */
GVariant    *pmap_channel_receive  (PmapChannel      *self,
                                    gboolean          strict,
                                    PmapAbortFunc     abort_func,
                                    gpointer          abort_data,
                                    PmapMessageKind  *kind,
                                    GError          **error);
/* The oldest descriptor received and not taken yet, now the caller's; -1
 * if none: a message that comes with one takes it once received. */
int          pmap_channel_take_fd  (PmapChannel      *self);
/* Whether the peer sent anything, or closed the channel, unasked. */
gboolean     pmap_channel_is_quiet (PmapChannel      *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PmapChannel, pmap_channel_free)

G_END_DECLS
