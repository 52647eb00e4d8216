/* pmap-test-processes-util.h: what the tests of the processes backend share
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "pmap-test-util.h"

G_BEGIN_DECLS

/* The pids of this process's children, zombies included, sorted. */
GArray       *test_list_children        (void);
GArray       *test_list_children_of     (int parent);
/* The open file descriptors of this process, each with what it points to,
 * as one line per descriptor. */
char         *test_describe_fds         (void);

/* Whether @pid is still a process (a zombie counts). */
gboolean      test_process_exists       (int          pid);
/* Waits up to @timeout_s for the children of this process to be exactly
 * @n; returns their number then. */
guint         test_wait_for_n_children  (guint        n,
                                         guint        timeout_s);

/* An executor on a new `processes` backend. */
PmapExecutor *test_processes_executor_new (int        n_jobs,
                                           guint      batch_size);

/* Stops the idle workers of the pool that every `processes` backend
 * shares. */
void          test_stop_idle_workers    (void);

/* What a test of leaks compares: the children and descriptors of this
 * process, taken once the pool is empty, after a first map of the test
 * module's "test.square": GLib keeps open what it opens for a first
 * subprocess. */
typedef struct
{
  GArray *children;
  char   *fds;
} TestResources;

void          test_resources_snapshot   (TestResources *resources);
/* Stops the idle workers, then checks that no child process is left and
 * that the descriptors are those of the snapshot. */
void          test_resources_assert_released (TestResources *resources);
void          test_resources_clear      (TestResources *resources);

/* Asserts that a cancelled map with busy workers returned @elapsed_us after
 * its cancellation within the 100 ms that docs/reliability.md promises,
 * with room for a loaded machine: 10 times that, times
 * PMAP_TEST_SLOWDOWN for the setups that slow every process down. */
void          test_assert_prompt_cancel (gint64      elapsed_us);

/* Cancels @cancellable 200 ms from now, from a thread of its own that the
 * caller joins. */
GThread      *test_cancel_soon          (GCancellable *cancellable);

/* Cancels an asynchronous map of the test module's "test.sleep-ms" once its
 * two workers are busy with tasks of a minute, and checks that it ends
 * promptly with G_IO_ERROR_CANCELLED, that the busy workers were killed,
 * and that nothing leaked. */
void          test_assert_cancel_kills_busy_workers (void);

/* x → x², for an int64 input: a function of the test program itself, which
 * only a program that hosts its workers can send to them. */
GVariant     *test_square               (GVariant    *input,
                                         gpointer     user_data,
                                         GError     **error);

/* → the pid of the worker that runs it, as an int64. */
GVariant     *test_worker_pid           (GVariant    *input,
                                         gpointer     user_data,
                                         GError     **error);

/* s → its first byte plus one, as an int64. */
GVariant     *test_first_byte_plus_one  (GVariant    *input,
                                         gpointer     user_data,
                                         GError     **error);

/* Maps @func, a function of the program, with no user data over @items. */
GPtrArray    *test_map_items            (PmapExecutor *executor,
                                         GPtrArray    *items,
                                         PmapFunc      func,
                                         GError      **error);


G_END_DECLS
