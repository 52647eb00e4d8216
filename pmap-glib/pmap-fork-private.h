/* pmap-fork-private.h: whether this process is a fork of the one whose
 * threads pmap-glib started
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* For the backends that start threads or worker processes, before they
 * do: records this process as the one they belong to. */
void     pmap_fork_note_threads  (void);
/* Whether this process is a copy, made by fork() without exec, of one in
 * which pmap-glib had started threads: the copy has none of them, nor the
 * worker processes' channels to itself. The process id of the original
 * goes in @original. */
gboolean pmap_fork_is_copy       (int *original);

G_END_DECLS
