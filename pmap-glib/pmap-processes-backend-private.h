/* pmap-processes-backend-private.h: tasks in reusable worker processes
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "pmap-backend.h"

G_BEGIN_DECLS

#define PMAP_TYPE_PROCESSES_BACKEND (pmap_processes_backend_get_type ())

G_DECLARE_FINAL_TYPE (PmapProcessesBackend, pmap_processes_backend, PMAP, PROCESSES_BACKEND, PmapBackend)

PmapBackend *pmap_processes_backend_new (void);

G_END_DECLS
