/* pmap-serializer-private.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "pmap-serializer.h"

G_BEGIN_DECLS

/* Whether encode and decode are the identity, so that values need no pass. */
gboolean pmap_serializer_passes_values_through (PmapSerializer *self);

G_END_DECLS
