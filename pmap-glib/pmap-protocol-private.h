/* pmap-protocol-private.h: the messages between a parent and its workers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * docs/protocol.md is the specification; keep the two in step.
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define PMAP_PROTOCOL_VERSION 2

/* "PMAP" read as a little-endian 32-bit number: the body follows. */
#define PMAP_PROTOCOL_MAGIC 0x50414d50u
/* "PMAF": the body is in a sealed memfd sent with the header. */
#define PMAP_PROTOCOL_MAGIC_MEMFD 0x46414d50u
/* Bodies from this size on travel in a memfd: what a worker sends, and by
 * default what the parent sends (the executor's max-nbytes sets it). */
#define PMAP_PROTOCOL_MEMFD_THRESHOLD (1024u * 1024u)
/* Smaller bodies never do, whatever max-nbytes says. */
#define PMAP_PROTOCOL_MIN_MEMFD_THRESHOLD 4096u
#define PMAP_PROTOCOL_HEADER_SIZE 8

/* The largest message body either side accepts. */
#define PMAP_PROTOCOL_MAX_BODY (512u * 1024u * 1024u)

typedef enum {
  PMAP_MESSAGE_HELLO = 1,  /* worker → parent  (ux)      version, pid */
  PMAP_MESSAGE_BATCH,      /* parent → worker  ((sv)suva(uayt))  function, serializer, first index, inputs packed in an array, shared values in them */
  PMAP_MESSAGE_RESULTS,    /* worker → parent  (uv)      index of the first, values of consecutive tasks packed in an array */
  PMAP_MESSAGE_ERROR,      /* worker → parent  (usis)    index, domain, code, message */
  PMAP_MESSAGE_QUIT,       /* parent → worker  ()        */
  PMAP_MESSAGE_SHARE,      /* parent → worker  (tstt)    id, type, offset, size; with a memfd */
  PMAP_MESSAGE_FORGET,     /* parent → worker  (at)      ids */
} PmapMessageKind;

/* Asked between two waits of at most a few tens of milliseconds while a
 * receive blocks; returning TRUE abandons the receive. */
typedef gboolean (*PmapAbortFunc) (gpointer user_data);

const GVariantType *pmap_message_body_type (PmapMessageKind   kind);
GVariant           *pmap_protocol_decode   (GBytes           *frame,
                                            gboolean          strict,
                                            PmapMessageKind  *kind,
                                            GError          **error);

/* What the parent checks of the messages that a worker sends, once they are
 * decoded; see “What the parent checks” in docs/protocol.md. */
gboolean            pmap_protocol_check_hello  (GVariant         *body,
                                                PmapMessageKind   kind,
                                                gint64           *pid,
                                                GError          **error);
gboolean            pmap_protocol_check_answer (GVariant         *body,
                                                PmapMessageKind   kind,
                                                guint             next,
                                                guint             n_left,
                                                GVariant        **values,
                                                GError          **error);
GError             *pmap_protocol_answer_error (GVariant         *body);

typedef struct _PmapPacker PmapPacker;

PmapPacker         *pmap_packer_new          (void);
void                pmap_packer_free         (PmapPacker       *self);
void                pmap_packer_add          (PmapPacker       *self,
                                              GVariant         *value);
guint               pmap_packer_get_n_values (PmapPacker       *self);
GVariant           *pmap_packer_end          (PmapPacker       *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PmapPacker, pmap_packer_free)

GVariant           *pmap_protocol_unpack   (GVariant         *values,
                                            gsize             index);

G_END_DECLS
