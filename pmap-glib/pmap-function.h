/* pmap-function.h: the functions a map runs, and the registry that names them
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

/**
 * PmapFunc:
 * @input: (not nullable): the task's input
 * @user_data: (closure): the data given with the function
 * @error: return location for an error
 *
 * The function a map applies to each of its inputs.
 *
 * It may run on any thread of the backend, several calls at a time, so it
 * must not touch unguarded shared state. A floating result is sunk.
 *
 * Returns: (transfer full) (nullable): the task's result, or %NULL with
 *   @error set if the task failed
 *
 * Since: 1.0
 */
typedef GVariant *(*PmapFunc) (GVariant  *input,
                               gpointer   user_data,
                               GError   **error);

/**
 * PmapModuleRegisterFunc:
 *
 * The entry point that a module loaded by [func@Pmap.load_module] must
 * export under the name `pmap_module_register`. It registers the module's
 * functions with [func@Pmap.register_function].
 *
 * Since: 1.0
 */
typedef void (*PmapModuleRegisterFunc) (void);

PMAP_AVAILABLE_IN_1_0
void       pmap_register_function   (const char      *name,
                                     PmapFunc         func,
                                     gpointer         user_data,
                                     GDestroyNotify   destroy);
PMAP_AVAILABLE_IN_1_0
gboolean   pmap_unregister_function (const char      *name);
PMAP_AVAILABLE_IN_1_0
char     **pmap_list_functions      (void);
PMAP_AVAILABLE_IN_1_0
gboolean   pmap_load_module         (const char      *path,
                                     GError         **error);

G_END_DECLS
