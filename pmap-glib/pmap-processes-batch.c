/* pmap-processes-batch.c: one batch, sent to a worker process and answered
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * What a runner of pmap-processes-backend.c does with a batch it claimed:
 * it encodes the inputs into a BATCH message, sends it to its worker,
 * watches the worker while it runs the tasks (the job may stop, a task may
 * outlive the timeout, the worker may grow past its memory limit), and
 * stores the results it reads back, decoded, in the job. A worker that
 * dies or is killed loses the task it was running: the tasks it left
 * without a result run again on a new worker, as the retries allow.
 * docs/protocol.md has the messages; pmap-worker.c answers them.
 */

#include "config.h"

#include "pmap-error.h"
#include "pmap-processes-batch-private.h"
#include "pmap-protocol-private.h"
#include "pmap-serializer-private.h"
#include "pmap-worker-pool-private.h"

/* The BATCH message of the tasks [@first, @first + @n_tasks) of @job, a
 * floating reference: their inputs, encoded by the job's serializer, the
 * large values that @shares holds replaced by references. Returns NULL
 * with @error set, and the failing task in @failed, when the serializer
 * cannot encode an input. */
GVariant *
pmap_processes_batch_message (PmapJob         *job,
                              PmapShareTable  *shares,
                              GVariant        *ref,
                              guint            first,
                              guint            n_tasks,
                              guint           *failed,
                              GError         **error)
{
  GVariantBuilder substitutions;
  PmapSerializer *serializer = pmap_job_get_serializer (job);
  const char *name = pmap_serializer_get_name (serializer);
  gboolean encode = !pmap_serializer_passes_values_through (serializer);
  g_autoptr(PmapPacker) inputs = pmap_packer_new ();

  if (name == NULL)
    {
      *failed = first;
      g_set_error (error, PMAP_ERROR, PMAP_ERROR_UNKNOWN_SERIALIZER,
                   "The serializer, a %s, has no name, by which worker "
                   "processes would find it; set its “name” property",
                   G_OBJECT_TYPE_NAME (serializer));
      return NULL;
    }

  g_variant_builder_init (&substitutions, G_VARIANT_TYPE ("a(uayt)"));
  for (guint i = 0; i < n_tasks; i++)
    {
      GVariant *input = pmap_job_get_input (job, first + i);
      g_autoptr(GVariant) encoded = NULL;
      g_autoptr(GError) encode_error = NULL;

      if (!encode)
        encoded = g_variant_ref (input);
      else if ((encoded = pmap_serializer_encode (serializer, input, &encode_error)) != NULL)
        g_variant_take_ref (encoded);

      if (encoded == NULL)
        {
          *failed = first + i;
          g_set_error (error, PMAP_ERROR, PMAP_ERROR_NOT_SERIALIZABLE,
                       "Input %u (of type %s) cannot travel with the “%s” "
                       "serializer: %s", first + i,
                       g_variant_get_type_string (input), name,
                       encode_error != NULL ? encode_error->message :
                       "its encode() returned nothing and set no error");
          g_variant_builder_clear (&substitutions);
          return NULL;
        }

      if (shares != NULL)
        {
          GVariant *shared = pmap_share_table_substitute (shares, encoded, first + i,
                                                          &substitutions);

          g_variant_unref (encoded);
          encoded = shared;
        }
      pmap_packer_add (inputs, encoded);
    }

  return g_variant_new ("(@(sv)suv@a(uayt))", ref, name, first, pmap_packer_end (inputs),
                        g_variant_builder_end (&substitutions));
}

gboolean
pmap_processes_job_stops (gpointer job)
{
  return pmap_job_is_stopping (job);
}

/* A worker that grows past its backend's max-worker-memory finishes its
 * batch and leaves; one that grows past this many times the limit while a
 * task runs is killed at once, as it would otherwise take the machine. */
#define MEMORY_KILL_FACTOR 2

/* What a runner watches while its worker runs a batch: the job, which may
 * stop, the task that the worker runs, which may run too long, the
 * worker's memory, which may grow without bound, and the worker itself,
 * which may die while a process it started holds its channel open, so
 * that the channel never ends. */
typedef struct
{
  PmapJob    *job;
  PmapWorker *worker;
  gint64      timeout_us;
  guint64     memory_limit;

  guint       running;     /* the worker's word when last seen */
  gint64      started;     /* when the parent first saw it */
  gboolean    timed_out;
  guint64     grew_to;     /* its resident bytes when killed for them */
  gboolean    exited;
} BatchWatch;

/* A PmapAbortFunc: whether to stop waiting for the worker. It is called
 * every ABORT_POLL_INTERVAL_MS at least while the runner waits. The clock
 * of a task starts when the parent first sees the worker say it runs
 * it. */
static gboolean
batch_should_stop (gpointer data)
{
  BatchWatch *watch = data;
  guint running;
  gint64 now;

  if (pmap_job_is_stopping (watch->job))
    return TRUE;

  if (pmap_worker_has_exited (watch->worker))
    {
      watch->exited = TRUE;
      return TRUE;
    }

  if (watch->memory_limit != 0)
    {
      guint64 resident = pmap_worker_get_resident_bytes (watch->worker);

      if (resident > MEMORY_KILL_FACTOR * watch->memory_limit)
        {
          watch->grew_to = resident;
          return TRUE;
        }
    }

  if (watch->timeout_us == 0)
    return FALSE;

  running = pmap_worker_peek_running_task (watch->worker);
  now = g_get_monotonic_time ();
  if (running != watch->running)
    {
      watch->running = running;
      watch->started = now;
      return FALSE;
    }

  watch->timed_out = running != 0 && now - watch->started > watch->timeout_us;
  return watch->timed_out;
}

/* Stores a value that came from a worker, decoded; FALSE if it fails.
 * Takes @value. */
static gboolean
return_value (PmapJob  *job,
              guint     index,
              GVariant *value,
              gboolean  decode)
{
  PmapSerializer *serializer = pmap_job_get_serializer (job);
  g_autoptr(GVariant) owned = value;
  GError *error = NULL;
  GVariant *decoded;

  if (!decode)
    {
      pmap_job_return_value (job, index, g_steal_pointer (&owned));
      return TRUE;
    }

  decoded = pmap_serializer_decode (serializer, owned, &error);
  if (decoded == NULL)
    {
      if (error == NULL)
        error = g_error_new (PMAP_ERROR, PMAP_ERROR_FAILED,
                             "the “%s” serializer's decode() returned nothing "
                             "and set no error",
                             pmap_serializer_get_name (serializer));
      pmap_job_return_error (job, index, error);
      return FALSE;
    }

  pmap_job_return_value (job, index, g_variant_take_ref (decoded));
  return TRUE;
}

/* Sends a batch and stores the answers, without ending the batch. Returns
 * FALSE when the worker can no longer be used; it is then discarded. A
 * task that its worker's death or the timeout took is not failed here but
 * given back in @lost and @lost_index, so that it can be tried again; a
 * task that failed otherwise is failed here, and its index given back in
 * @failed_at. */
static gboolean
run_remote_batch (PmapRunner *runner,
                  PmapWorker *worker,
                  GVariant   *batch,
                  guint       first,
                  guint       n_tasks,
                  guint      *n_answered,
                  GError    **lost,
                  guint      *lost_index,
                  guint      *failed_at)
{
  PmapJob *job = runner->job;
  PmapShareTable *shares = runner->shares;
  guint64 memory_limit = runner->max_worker_memory;
  g_autoptr(GError) error = NULL;
  PmapChannel *channel;
  guint n_done = 0;
  gboolean healthy = TRUE;
  BatchWatch watch = { job, worker, pmap_job_get_timeout_us (job), memory_limit, 0, 0, FALSE, 0, FALSE };

  /* Sending waits for room as long as receiving waits for answers: a
   * worker that died behind an open channel takes neither. */
  channel = pmap_worker_get_channel (worker);
  pmap_channel_set_abort (channel, batch_should_stop, &watch);
  pmap_channel_set_memfd_threshold (channel, pmap_job_get_max_nbytes (job));
  pmap_worker_clear_running_task (worker);
  if ((shares != NULL && !pmap_share_table_send (shares, worker, batch, &error)) ||
      !pmap_channel_send (channel, PMAP_MESSAGE_BATCH, batch, &error) ||
      !pmap_channel_flush (channel, &error))
    {
      /* Too large to send, or a shared value without shared memory, is
       * the batch's fault; anything else, the channel's, which the
       * receive below reports (a SHARE that failed leaves the BATCH
       * unsent, but only on a channel that is broken). */
      if (g_error_matches (error, PMAP_ERROR, PMAP_ERROR_NOT_SERIALIZABLE))
        {
          pmap_job_fail (job, first, g_steal_pointer (&error));
          *n_answered = 0;
          return TRUE;
        }
      g_clear_error (&error);
    }

  while (n_done < n_tasks)
    {
      guint index = first + n_done;
      g_autoptr(GVariant) body = NULL;
      PmapMessageKind kind;
      g_autoptr(GVariant) values = NULL;
      gsize n_values = 0;

      body = pmap_channel_receive (channel, TRUE, batch_should_stop, &watch,
                                   &kind, &error);
      if (body != NULL &&
          pmap_protocol_check_answer (body, kind, index, n_tasks - n_done,
                                      &values, &error) &&
          values != NULL)
        n_values = g_variant_n_children (values);

      if (error != NULL)
        {
          g_autofree char *how = NULL;
          int pid = pmap_worker_get_pid (worker);

          healthy = FALSE;
          if (watch.grew_to != 0)
            {
              *lost_index = pmap_worker_get_running_task (worker, index,
                                                          first + n_tasks - index);
              g_free (pmap_worker_discard (worker, TRUE));
              g_set_error (lost, PMAP_ERROR, PMAP_ERROR_MEMORY_LIMIT,
                           "the worker process %d running it grew to %" G_GUINT64_FORMAT
                           " MiB, more than %d times the backend's "
                           "max-worker-memory of %" G_GUINT64_FORMAT " MiB, and was "
                           "killed; a new worker replaces it", pid, watch.grew_to >> 20,
                           MEMORY_KILL_FACTOR, memory_limit >> 20);
            }
          else if (watch.timed_out)
            {
              *lost_index = pmap_worker_get_running_task (worker, index,
                                                          first + n_tasks - index);
              g_free (pmap_worker_discard (worker, TRUE));
              g_set_error (lost, PMAP_ERROR, PMAP_ERROR_TIMED_OUT,
                           "it ran for more than the executor's timeout of "
                           "%g s; the worker process %d running it was killed "
                           "and is replaced",
                           watch.timeout_us / (double) G_USEC_PER_SEC, pid);
            }
          else if (!watch.exited && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            {
              /* The job stopped elsewhere; this task's answer is not
               * wanted, and the worker is busy with it. */
              g_free (pmap_worker_discard (worker, TRUE));
            }
          else
            {
              /* A channel that ends, even mid-frame, is most often a worker
               * that died, as is one that exited while a process it started
               * holds the channel open; answers travel in bunches, so the
               * worker's own word says which task it was running. One that
               * broke the protocol, or closed its channel and lingers, is
               * stopped. */
              gboolean ended = watch.exited ||
                               !g_error_matches (error, PMAP_ERROR, PMAP_ERROR_PROTOCOL);

              if (ended)
                index = pmap_worker_get_running_task (worker, index, first + n_tasks - index);
              how = pmap_worker_discard (worker, !ended);
              if (how != NULL)
                {
                  *lost_index = index;
                  g_set_error (lost, PMAP_ERROR, PMAP_ERROR_WORKER_CRASHED,
                               "the worker process %d running it %s; a new "
                               "worker replaces it", pid, how);
                }
              else if (ended)
                {
                  *failed_at = index;
                  pmap_job_return_error (job, index,
                                         g_error_new (PMAP_ERROR, PMAP_ERROR_PROTOCOL,
                                                      "the worker process %d closed its "
                                                      "channel but did not exit, and was "
                                                      "stopped", pid));
                }
              else
                {
                  *failed_at = index;
                  pmap_job_return_error (job, index,
                                         g_error_new (PMAP_ERROR, PMAP_ERROR_PROTOCOL,
                                                      "the worker process %d broke the "
                                                      "protocol (%s) and was stopped",
                                                      pid, error->message));
                }
            }
          break;
        }

      if (kind == PMAP_MESSAGE_ERROR)
        {
          *failed_at = index;
          pmap_job_return_error (job, index, pmap_protocol_answer_error (body));
          break;
        }

      {
        gboolean decode = !pmap_serializer_passes_values_through (pmap_job_get_serializer (job));
        gsize i;

        for (i = 0; i < n_values; i++)
          if (!return_value (job, index + i, pmap_protocol_unpack (values, i), decode))
            break;

        n_done += i;
        if (i < n_values)
          {
            *failed_at = index + i;
            /* The worker goes on answering a batch nobody reads. */
            g_free (pmap_worker_discard (worker, TRUE));
            healthy = FALSE;
            break;
          }
      }
    }

  if (healthy)
    pmap_channel_set_abort (channel, NULL, NULL);

  *n_answered = n_done;
  return healthy;
}

/* The batch of the tasks [@start, @end) of @batch: what a worker runs
 * again after another died in @batch, or around a task that failed. */
static GVariant *
batch_range (GVariant *batch,
             guint     start,
             guint     end)
{
  g_autoptr(GVariant) ref = NULL;
  g_autoptr(GVariant) values = NULL;
  g_autoptr(GVariant) substitutions = NULL;
  g_autoptr(PmapPacker) range = pmap_packer_new ();
  const char *serializer;
  guint first;

  g_variant_get (batch, "(@(sv)&suv@a(uayt))", &ref, &serializer, &first, &values,
                 &substitutions);
  for (guint i = start; i < end; i++)
    {
      g_autoptr(GVariant) value = pmap_protocol_unpack (values, i - first);

      pmap_packer_add (range, value);
    }

  return g_variant_ref_sink (g_variant_new ("(@(sv)suv@a(uayt))", ref, serializer, start,
                                            pmap_packer_end (range),
                                            pmap_share_substitutions_range (substitutions,
                                                                            start, end)));
}

typedef struct
{
  guint start;
  guint end;
} Range;

/* Runs the tasks [@first, @first + @n_tasks) of @batch on *@worker, and
 * on new workers when one dies or times out: the tasks that it left
 * without a result run again, as long as the job's retries allow for the
 * task that it took (results travel in bunches, so a worker may die with
 * the results of the tasks before its last unsent). A job that continues
 * on error goes on after a task that failed, around it. *@worker is NULL
 * afterwards if it can no longer be used. Returns how many tasks returned
 * a value. */
guint
pmap_processes_batch_run (PmapRunner  *runner,
                          PmapWorker **worker,
                          GVariant    *batch,
                          guint        first,
                          guint        n_tasks)
{
  PmapJob *job = runner->job;
  g_autoptr(GArray) todo = g_array_new (FALSE, FALSE, sizeof (Range));
  Range whole = { first, first + n_tasks };
  guint n_answered = 0;
  guint lost_before = G_MAXUINT;
  guint n_tries = 0;

  g_array_append_val (todo, whole);
  while (todo->len > 0 && !pmap_job_is_stopping (job))
    {
      Range range = g_array_index (todo, Range, 0);
      g_autoptr(GVariant) current = NULL;
      g_autoptr(GError) lost = NULL;
      guint lost_index = range.start;
      guint failed_at = G_MAXUINT;
      guint answered = 0;

      g_array_remove_index (todo, 0);
      if (*worker == NULL)
        {
          GError *error = NULL;

          *worker = pmap_worker_pool_acquire (pmap_processes_job_stops, job, &error);
          if (*worker == NULL)
            {
              pmap_job_fail (job, range.start, error);
              break;
            }
        }

      current = range.start == whole.start && range.end == whole.end ?
                g_variant_ref (batch) : batch_range (batch, range.start, range.end);
      if (!run_remote_batch (runner, *worker, current, range.start, range.end - range.start,
                             &answered, &lost, &lost_index, &failed_at))
        *worker = NULL;
      n_answered += answered;

      if (lost != NULL)
        {
          Range rest = { range.start + answered, range.end };

          n_tries = lost_index == lost_before ? n_tries + 1 : 1;
          lost_before = lost_index;
          if (n_tries <= pmap_job_get_retries (job))
            {
              g_array_prepend_val (todo, rest);
              continue;
            }

          if (n_tries > 1)
            g_prefix_error (&lost, "tried %u times; the last time, ", n_tries);
          pmap_job_return_error (job, lost_index, g_steal_pointer (&lost));
          failed_at = lost_index;
        }

      if (failed_at != G_MAXUINT && pmap_job_continues_on_error (job))
        {
          Range before = { range.start + answered, failed_at };
          Range after = { failed_at + 1, range.end };

          if (after.start < after.end)
            g_array_prepend_val (todo, after);
          if (before.start < before.end)
            g_array_prepend_val (todo, before);
        }
    }

  return n_answered;
}
