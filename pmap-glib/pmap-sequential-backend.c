/* pmap-sequential-backend.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "pmap-sequential-backend-private.h"
#include "pmap-job-private.h"

/* Runs the whole job inside submit(), on the thread that started the map:
 * an asynchronous map on this backend has done its work by the time
 * pmap_executor_map_async() returns, and only its callback waits for the
 * main context. */
struct _PmapSequentialBackend
{
  PmapBackend parent_instance;
};

G_DEFINE_FINAL_TYPE (PmapSequentialBackend, pmap_sequential_backend, PMAP_TYPE_BACKEND)

static void
pmap_sequential_backend_submit (PmapBackend *backend,
                                PmapJob     *job)
{
  pmap_job_drain (job);
}

static void
pmap_sequential_backend_class_init (PmapSequentialBackendClass *klass)
{
  PmapBackendClass *backend_class = PMAP_BACKEND_CLASS (klass);

  backend_class->submit = pmap_sequential_backend_submit;
}

static void
pmap_sequential_backend_init (PmapSequentialBackend *self)
{
}

PmapBackend *
pmap_sequential_backend_new (void)
{
  return g_object_new (PMAP_TYPE_SEQUENTIAL_BACKEND,
                       "name", "sequential",
                       NULL);
}
