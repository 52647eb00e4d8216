/* pmap-fork.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * fork() copies a process with only the thread that called it. A copy of
 * a process in which pmap-glib had started threads keeps their pools, the
 * pools' queues and the idle worker processes, whose channels the original
 * still uses, but not the threads: a map there would wait for ever for
 * runners that do not exist. Python forks so by default
 * (multiprocessing's "fork" start method before Python 3.14). The
 * executor refuses such maps with PMAP_ERROR_FORKED instead, as soon as
 * they start.
 */

#include "config.h"

#include <unistd.h>

#include "pmap-fork-private.h"

/* The process in which pmap-glib started threads, 0 before it did. */
static gint threads_pid;

void
pmap_fork_note_threads (void)
{
  /* A copy keeps its original's: it must not pass for the original. */
  g_atomic_int_compare_and_exchange (&threads_pid, 0, (gint) getpid ());
}

gboolean
pmap_fork_is_copy (int *original)
{
  int pid = g_atomic_int_get (&threads_pid);

  *original = pid;
  return pid != 0 && pid != (int) getpid ();
}
