/* pmap-executor-state-private.h: what an executor's type and its settings share
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * pmap-executor.c defines the type, its properties and its signal;
 * pmap-executor-settings.c gets and sets the settings that the properties
 * hold. Both see the executor's state, which nothing else does.
 */

#pragma once

#include "pmap-batch-size-private.h"
#include "pmap-executor-private.h"

G_BEGIN_DECLS

struct _PmapExecutor
{
  GObject      parent_instance;

  PmapBackend *backend;
  PmapBackend *sequential;
  PmapSerializer *serializer;
  GError      *backend_error;
  GError      *serializer_error;
  GError      *n_jobs_error;
  int          n_jobs;
  guint        batch_size;
  double       timeout;
  guint        retries;
  guint64      max_nbytes;
  /* What its maps measured of their function's tasks, for the next. */
  PmapBatchMemory *batch_memory;
};

enum {
  PROP_0,
  PROP_N_JOBS,
  PROP_BACKEND,
  PROP_BATCH_SIZE,
  PROP_SERIALIZER,
  PROP_TIMEOUT,
  PROP_RETRIES,
  PROP_MAX_NBYTES,
  N_PROPS
};

extern GParamSpec *pmap_executor_properties[N_PROPS];

G_END_DECLS
