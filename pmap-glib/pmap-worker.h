/* pmap-worker.h: letting a program be its own worker process
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(PMAP_GLIB_INSIDE) && !defined(PMAP_GLIB_COMPILATION)
# error "Only <pmap-glib/pmap-glib.h> can be included directly."
#endif

#include <glib.h>

#include "pmap-version-macros.h"

G_BEGIN_DECLS

PMAP_AVAILABLE_IN_1_0
void pmap_host_workers       (void);
PMAP_AVAILABLE_IN_1_0
void pmap_set_worker_command (const char * const *argv);

G_END_DECLS
