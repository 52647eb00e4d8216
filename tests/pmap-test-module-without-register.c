/* pmap-test-module-without-register.c: a loadable module that does not
 * export pmap_module_register(), which pmap_load_module() must refuse.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <gmodule.h>

G_MODULE_EXPORT int pmap_test_module_answer (void);

G_MODULE_EXPORT int
pmap_test_module_answer (void)
{
  return 42;
}
