/* pmap-worker-main.c: the pmap-worker helper
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The worker process of programs that do not call pmap_host_workers(). It
 * knows no function of its own: each batch names a module to load or a
 * shared library and an offset in it.
 */

#include <stdio.h>

#include <pmap-glib/pmap-glib.h>

int
main (int   argc,
      char *argv[])
{
  if (g_getenv ("PMAP_WORKER_FD") == NULL)
    {
      fprintf (stderr,
               "pmap-worker runs tasks for pmap-glib's processes backend, "
               "which starts it; it is not meant to be run by hand.\n");
      return 2;
    }

  pmap_host_workers ();

  /* pmap_host_workers() exits in a worker. */
  return 1;
}
