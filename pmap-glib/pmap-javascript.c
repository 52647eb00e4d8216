/* pmap-javascript.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "pmap-javascript.h"

/**
 * pmap_get_javascript_module:
 *
 * Gets the URI of pmap-glib's JavaScript module, which maps JavaScript
 * functions over JavaScript values in GJS worker processes. The module is
 * compiled into the library as a resource, which exists once the library
 * is loaded: importing the `Pmap` namespace does not load it, calling this
 * function does. A GJS script therefore imports the module dynamically:
 *
 * ```js
 * import Pmap from 'gi://Pmap?version=1.0';
 * const PmapJS = await import(Pmap.get_javascript_module());
 * ```
 *
 * See [JavaScript](javascript.html).
 *
 * Returns: the module's URI, `resource:///org/gnome/Pmap/js/pmap.js`
 *
 * Since: 1.0
 */
const char *
pmap_get_javascript_module (void)
{
  return "resource:///org/gnome/Pmap/js/pmap.js";
}
