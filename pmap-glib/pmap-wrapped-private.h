/* pmap-wrapped-private.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "pmap-wrapped.h"
#include "pmap-function-private.h"

G_BEGIN_DECLS

PmapCallable *pmap_wrapped_get_callable (PmapWrapped *self);

G_END_DECLS
