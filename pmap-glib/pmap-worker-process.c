/* pmap-worker-process.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One worker process, seen from the parent: starting it and waiting for
 * its hello, what it shares with the parent (its channel, the word where
 * it writes the task it runs, the shared values it holds), and ending it,
 * with how it ended. pmap-worker-pool.c keeps the idle ones.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pmap-error.h"
#include "pmap-worker-private.h"
#include "pmap-worker-state-private.h"

/* How long a new worker may take to say hello. */
#define HELLO_TIMEOUT_US (30 * G_USEC_PER_SEC)

PmapChannel *
pmap_worker_get_channel (PmapWorker *worker)
{
  return worker->channel;
}

/* Forgets the task that the worker last said it ran, before a new batch:
 * indices start again at 0 in every map. */
void
pmap_worker_clear_running_task (PmapWorker *worker)
{
  g_atomic_int_set (worker->running_task, 0);
}

void
pmap_worker_count_tasks (PmapWorker *worker,
                         guint       n_tasks)
{
  worker->n_tasks += n_tasks;
}

guint64
pmap_worker_get_n_tasks (PmapWorker *worker)
{
  return worker->n_tasks;
}

/* The worker's resident memory in bytes, from /proc; 0 if unknown. */
guint64
pmap_worker_get_resident_bytes (PmapWorker *worker)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/statm", worker->pid);
  g_autofree char *text = NULL;
  guint64 size, resident;

  if (!g_file_get_contents (path, &text, NULL, NULL) ||
      sscanf (text, "%" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT, &size, &resident) != 2)
    return 0;

  return resident * (guint64) sysconf (_SC_PAGESIZE);
}

/* What the worker last wrote of the task it runs: its index plus one, or
 * 0 for none since pmap_worker_clear_running_task(). */
guint
pmap_worker_peek_running_task (PmapWorker *worker)
{
  return (guint32) g_atomic_int_get (worker->running_task);
}

/* The task that the worker said it was running, if it lies in
 * [@first, @first + @n_tasks); else @first. */
guint
pmap_worker_get_running_task (PmapWorker *worker,
                              guint       first,
                              guint       n_tasks)
{
  gint64 running = (gint64) (guint32) g_atomic_int_get (worker->running_task) - 1;

  if (running >= first && running < (gint64) first + n_tasks)
    return running;

  return first;
}

gboolean
pmap_worker_holds_share (PmapWorker *worker,
                         guint64     id)
{
  for (guint i = 0; i < worker->shares->len; i++)
    if (g_array_index (worker->shares, guint64, i) == id)
      return TRUE;

  return FALSE;
}

void
pmap_worker_add_share (PmapWorker *worker,
                       guint64     id)
{
  g_array_append_val (worker->shares, id);
}

int
pmap_worker_get_pid (PmapWorker *worker)
{
  return worker->pid;
}

gboolean
pmap_worker_has_exited (PmapWorker *worker)
{
  /* GLib clears it when its worker thread reaps the process. */
  return g_subprocess_get_identifier (worker->process) == NULL;
}

/* A PmapAbortFunc that gives up once the monotonic time in @user_data has
 * passed. */
gboolean
pmap_worker_deadline_passed (gpointer user_data)
{
  return g_get_monotonic_time () > *(gint64 *) user_data;
}

/* How long a new worker's hello is waited for. */
typedef struct
{
  gint64        deadline;
  PmapAbortFunc give_up;
  gpointer      give_up_data;
  gboolean      gave_up;
} HelloWait;

/* A PmapAbortFunc for a HelloWait. */
static gboolean
hello_should_stop (gpointer user_data)
{
  HelloWait *wait = user_data;

  if (wait->give_up != NULL && wait->give_up (wait->give_up_data))
    {
      wait->gave_up = TRUE;
      return TRUE;
    }

  return pmap_worker_deadline_passed (&wait->deadline);
}

static char *
describe_exit (GSubprocess *process)
{
  if (g_subprocess_get_if_signaled (process))
    {
      int signum = g_subprocess_get_term_sig (process);

      return g_strdup_printf ("was killed by signal %d (%s)", signum, g_strsignal (signum));
    }

  return g_strdup_printf ("exited with status %d", g_subprocess_get_exit_status (process));
}

void
pmap_worker_free (PmapWorker *worker)
{
  g_clear_pointer (&worker->channel, pmap_channel_free);
  if (worker->running_task != NULL)
    munmap (worker->running_task, sizeof (gint));
  g_clear_object (&worker->process);
  g_array_unref (worker->shares);
  g_free (worker->command);
  g_free (worker);
}

/* Waits up to @timeout_us for GLib's child watch to reap @process, which
 * it does on its own thread. Returns whether it was reaped. */
gboolean
pmap_worker_wait_for_exit (GSubprocess *process,
                           gint64       timeout_us)
{
  gint64 deadline = g_get_monotonic_time () + timeout_us;

  while (g_subprocess_get_identifier (process) != NULL)
    {
      if (g_get_monotonic_time () >= deadline)
        return FALSE;
      g_usleep (200);
    }

  return TRUE;
}

char *
pmap_worker_discard (PmapWorker *worker,
                     gboolean    kill)
{
  char *how = NULL;

  /* Killed before its channel closes: a worker that read the end of its
   * channel would exit by itself, and pass for one that died. */
  if (kill)
    g_subprocess_force_exit (worker->process);

  g_clear_pointer (&worker->channel, pmap_channel_free);

  /* A worker that closed its channel is on its way out: let it finish, so
   * that its own exit status or signal is what we report. */
  if (!kill)
    {
      if (pmap_worker_wait_for_exit (worker->process, PMAP_WORKER_EXIT_GRACE_US))
        how = describe_exit (worker->process);
      else
        g_subprocess_force_exit (worker->process);
    }

  /* Not g_subprocess_wait(), whose private main context can outlive the
   * call for a moment, with a descriptor. */
  if (!pmap_worker_wait_for_exit (worker->process, 10 * G_USEC_PER_SEC))
    g_warning ("The worker process %d did not exit after SIGKILL", worker->pid);
  pmap_worker_free (worker);
  return how;
}

/* A source descriptor that is also a target (3 or 4) can be overwritten in
 * the child before it is moved where it belongs; move it out of the way. */
static int
fd_above_targets (int fd)
{
  int moved;

  if (fd > 4)
    return fd;

  moved = fcntl (fd, F_DUPFD_CLOEXEC, 5);
  if (moved < 0)
    return fd;

  close (fd);
  return moved;
}

static gint *
map_running_task (int fd)
{
  gpointer map;

  if (ftruncate (fd, sizeof (gint)) != 0)
    return NULL;

  map = mmap (NULL, sizeof (gint), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  return map != MAP_FAILED ? map : NULL;
}

PmapWorker *
pmap_worker_spawn (const char * const  *argv,
                   const char          *command,
                   PmapAbortFunc        give_up,
                   gpointer             give_up_data,
                   GError             **error)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GVariant) hello = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *program = argv[0];
  const char *identifier;
  PmapWorker *worker;
  PmapMessageKind kind;
  HelloWait wait = { 0, give_up, give_up_data, FALSE };
  gint64 pid = 0;
  int fds[2];
  int running_fd;

  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, PMAP_ERROR, PMAP_ERROR_WORKER_START,
                   "Could not create a channel for a worker process: %s",
                   g_strerror (saved_errno));
      return NULL;
    }

  worker = g_new0 (PmapWorker, 1);
  worker->channel = pmap_channel_new (fds[0]);
  worker->command = g_strdup (command);
  worker->shares = g_array_new (FALSE, FALSE, sizeof (guint64));

  running_fd = memfd_create ("pmap-running-task", MFD_CLOEXEC);
  if (running_fd < 0 || (worker->running_task = map_running_task (running_fd)) == NULL)
    {
      int saved_errno = errno;

      g_set_error (error, PMAP_ERROR, PMAP_ERROR_WORKER_START,
                   "Could not share memory with a worker process: %s",
                   g_strerror (saved_errno));
      if (running_fd >= 0)
        close (running_fd);
      close (fds[1]);
      pmap_worker_free (worker);
      return NULL;
    }

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_subprocess_launcher_take_fd (launcher, fd_above_targets (fds[1]), 3);
  g_subprocess_launcher_take_fd (launcher, fd_above_targets (running_fd), 4);
  g_subprocess_launcher_setenv (launcher, PMAP_WORKER_FD_ENV, "3", TRUE);
  g_subprocess_launcher_setenv (launcher, PMAP_WORKER_RUNNING_FD_ENV, "4", TRUE);

  worker->process = g_subprocess_launcher_spawnv (launcher, argv, &local_error);
  /* Closes the child's ends here, so that the worker's death reads as the
   * end of the channel. */
  g_clear_object (&launcher);

  if (worker->process == NULL)
    {
      g_set_error (error, PMAP_ERROR, PMAP_ERROR_WORKER_START,
                   "Could not start the worker process %s: %s; %s",
                   program, local_error->message,
                   pmap_worker_command_advice (TRUE));
      pmap_worker_free (worker);
      return NULL;
    }

  /* A worker that exits at once may be reaped already, and then has no
   * identifier; its hello, if it sent one, still names it. */
  identifier = g_subprocess_get_identifier (worker->process);
  if (identifier != NULL)
    worker->pid = g_ascii_strtoll (identifier, NULL, 10);

  wait.deadline = g_get_monotonic_time () + HELLO_TIMEOUT_US;
  hello = pmap_channel_receive (worker->channel, TRUE, hello_should_stop, &wait,
                                &kind, &local_error);
  if (hello != NULL)
    {
      /* Named by the hello whatever its version, for the error. */
      pmap_protocol_check_hello (hello, kind, &pid, &local_error);
      if (worker->pid == 0)
        worker->pid = pid;
    }

  if (local_error == NULL)
    pmap_channel_reuse_memfd (worker->channel, worker->pid);

  if (wait.gave_up)
    {
      g_free (pmap_worker_discard (worker, TRUE));
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                           "The map stopped while a worker process started");
      return NULL;
    }

  if (local_error != NULL)
    {
      g_autofree char *how = pmap_worker_discard (worker, FALSE);

      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_set_error (error, PMAP_ERROR, PMAP_ERROR_WORKER_START,
                     "The worker process %s did not say hello within %d "
                     "seconds and was stopped; %s",
                     program, (int) (HELLO_TIMEOUT_US / G_USEC_PER_SEC),
                     pmap_worker_command_advice (FALSE));
      else
        g_set_error (error, PMAP_ERROR, PMAP_ERROR_WORKER_START,
                     "The worker process %s did not start: %s (it %s); %s",
                     program, local_error->message,
                     how ? how : "was stopped", pmap_worker_command_advice (FALSE));
      return NULL;
    }

  return worker;
}
