/* pmap-function-ref-private.h: naming a function for another process
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "pmap-function-private.h"

G_BEGIN_DECLS

/* A reference is a (sv):
 *   ("name", <(ss)>)      a registered name, and the module that registers
 *                          it ("" when the program itself does);
 *   ("address", <(ayst)>) the GNU build-id of the object (executable or
 *                          shared library) that holds the function, its
 *                          path, and the function's offset in it;
 *   ("serialized", <(sv)>) the name of a serializer, and what it made of
 *                          the function, which its call() runs.
 * pmap_function_ref_new() returns a full reference, never a floating one. */
GVariant     *pmap_function_ref_new     (PmapCallable  *callable,
                                         gboolean       functions_by_value,
                                         gboolean       hosting,
                                         GError       **error);
PmapCallable *pmap_function_ref_resolve (GVariant      *ref,
                                         GError       **error);

G_END_DECLS
