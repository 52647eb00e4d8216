/* pmap-outcome-private.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "pmap-outcome.h"

G_BEGIN_DECLS

PmapOutcome *pmap_outcome_new (GVariant *value,
                               GError   *error);

G_END_DECLS
