/* pmap-shared-private.h: large values that many tasks share, sent once per
 * worker
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * See “Shared values” in docs/protocol.md.
 */

#pragma once

#include "pmap-channel-private.h"
#include "pmap-job-private.h"
#include "pmap-worker-pool-private.h"

G_BEGIN_DECLS

/* The parent's side, one table per map: the large values that more than
 * one input holds, each kept, with the memfd that it travels in, until the
 * map ends. */
typedef struct _PmapShareTable PmapShareTable;

/* Finds the values of at least @max_nbytes that more than one input of
 * @job holds; NULL if there are none. Before any input is released. */
PmapShareTable *pmap_share_table_new     (PmapJob         *job,
                                          guint64          max_nbytes);
PmapShareTable *pmap_share_table_ref     (PmapShareTable  *self);
void            pmap_share_table_unref   (PmapShareTable  *self);
/* @input with each shared value in it replaced by an empty value of its
 * type, which @substitutions (of type a(uayt)) names for task @index. */
GVariant       *pmap_share_table_substitute (PmapShareTable  *self,
                                             GVariant        *input,
                                             guint            index,
                                             GVariantBuilder *substitutions);
/* The substitutions of a batch's for the tasks [@start, @end), floating:
 * those of a part of the batch, run again. */
GVariant       *pmap_share_substitutions_range (GVariant *substitutions,
                                                guint     start,
                                                guint     end);
/* Sends @worker the values that @batch names and that it does not hold. */
gboolean        pmap_share_table_send    (PmapShareTable  *self,
                                          PmapWorker      *worker,
                                          GVariant        *batch,
                                          GError         **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PmapShareTable, pmap_share_table_unref)

/* The worker's side: the values that its parent shared with it, mapped
 * read-only, by id. */
typedef struct _PmapShareStore PmapShareStore;

PmapShareStore *pmap_share_store_new     (void);
void            pmap_share_store_free    (PmapShareStore  *self);
/* A SHARE message, whose memfd is the next descriptor of @channel. */
gboolean        pmap_share_store_add     (PmapShareStore  *self,
                                          PmapChannel     *channel,
                                          GVariant        *body,
                                          GError         **error);
/* A FORGET message. */
void            pmap_share_store_forget  (PmapShareStore  *self,
                                          GVariant        *body);
/* The input of task @index with the shared values that @substitutions
 * names for it in place; *@next is the first substitution not applied
 * yet, for the next task. */
GVariant       *pmap_share_store_rebuild (PmapShareStore  *self,
                                          GVariant        *input,
                                          guint            index,
                                          GVariant        *substitutions,
                                          gsize           *next,
                                          GError         **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PmapShareStore, pmap_share_store_free)

G_END_DECLS
