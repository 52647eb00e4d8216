/* pmap-outcome.h: what one task of a map came to, a value or an error
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(PMAP_GLIB_INSIDE) && !defined(PMAP_GLIB_COMPILATION)
# error "Only <pmap-glib/pmap-glib.h> can be included directly."
#endif

#include <glib-object.h>

#include "pmap-version-macros.h"

G_BEGIN_DECLS

#define PMAP_TYPE_OUTCOME (pmap_outcome_get_type ())

typedef struct _PmapOutcome PmapOutcome;

PMAP_AVAILABLE_IN_1_0
GType        pmap_outcome_get_type  (void) G_GNUC_CONST;
PMAP_AVAILABLE_IN_1_0
PmapOutcome *pmap_outcome_ref       (PmapOutcome  *self);
PMAP_AVAILABLE_IN_1_0
void         pmap_outcome_unref     (PmapOutcome  *self);
PMAP_AVAILABLE_IN_1_0
gboolean     pmap_outcome_succeeded (PmapOutcome  *self);
PMAP_AVAILABLE_IN_1_0
GVariant    *pmap_outcome_get_value (PmapOutcome  *self,
                                     GError      **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PmapOutcome, pmap_outcome_unref)

G_END_DECLS
