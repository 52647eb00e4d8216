/* bench-processes.c: the processes backend against the machine's floors,
 * a sequential loop and joblib's loky backend, on the workloads of the
 * anchors' joblib_anchor.py
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Run with `meson test --benchmark`. Usage:
 *
 *   bench-processes [--json FILE] [--cpu-rounds ROUNDS] [PYTHON PEER-SCRIPT]
 *
 * It times each workload on pmap-glib's processes backend with 2 workers,
 * in turns with what the workload is measured against on this machine: a
 * posix_spawn() of /bin/true for a cold start, a memcpy() of the payload
 * for a large argument, a loop over the same calls for CPU-bound tasks.
 * Then it runs PEER-SCRIPT (bench-processes-joblib.py) with PYTHON for
 * joblib's figures on the same machine in the same run, and prints the
 * ratios against the targets. It fails only when a result is wrong or the
 * peer cannot run, never on a timing. REPS in the environment sets the
 * number of measured runs per workload (default 9) on both sides, after
 * one that is not measured. --json writes every measured run's time, for
 * bench-report.py.
 */

#include <stdlib.h>

#include "bench-processes.h"

static int n_reps = 9;

/* Runs the peer script and reads its “NAME SECONDS” lines into @peer. */
static gboolean
run_peer (const char *python,
          const char *script,
          double     *peer)
{
  const char *argv[] = { python, script, NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GError) error = NULL;
  int status;

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                     &out, &err, &status, &error) ||
      !g_spawn_check_wait_status (status, &error))
    {
      g_printerr ("The joblib peer %s %s failed: %s\n%s",
                  python, script, error->message, err ? err : "");
      return FALSE;
    }

  for (guint w = 0; w < N_WORKLOADS; w++)
    peer[w] = -1;

  lines = g_strsplit (out, "\n", -1);
  for (guint l = 0; lines[l] != NULL; l++)
    {
      g_auto(GStrv) fields = g_strsplit (lines[l], " ", 2);

      if (fields[0] == NULL || fields[1] == NULL)
        continue;
      for (guint w = 0; w < N_WORKLOADS; w++)
        if (g_str_equal (fields[0], workloads[w].key))
          peer[w] = g_ascii_strtod (fields[1], NULL);
    }

  for (guint w = 0; w < N_WORKLOADS; w++)
    if (workloads[w].peer_target > 0 && peer[w] <= 0)
      {
        g_printerr ("The joblib peer printed no figure for “%s”:\n%s%s",
                    workloads[w].key, out, err);
        return FALSE;
      }

  return TRUE;
}

static void
print_target (const char *label,
              const char *against,
              double      ratio,
              double      target,
              int        *n_targets,
              int        *n_missed)
{
  gboolean met = ratio <= target;

  if (target < 1)
    g_print ("%-42s %-18s ratio %.4f = 1/%.1f (target <= 1/%.1f): target %s\n",
             label, against, ratio, 1 / ratio, 1 / target, met ? "met" : "missed");
  else
    g_print ("%-42s %-18s ratio %.2f (target <= %.0f): target %s\n",
             label, against, ratio, target, met ? "met" : "missed");
  *n_targets += 1;
  *n_missed += !met;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(PmapExecutor) executor = NULL;
  g_autoptr(PmapBackend) processes = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(BenchRecord) record = NULL;
  g_autofree char *json_path = NULL;
  gint64 n_cpu_rounds = 0;
  GOptionEntry entries[] = {
    { "cpu-rounds", 0, 0, G_OPTION_ARG_INT64, &n_cpu_rounds,
      "Size of a CPU-bound task (default: what takes " G_STRINGIFY (BENCH_CPU_TASK_MS) " ms here)", "ROUNDS" },
    { "json", 0, 0, G_OPTION_ARG_FILENAME, &json_path, "Also write every run's time to FILE", "FILE" },
    { NULL }
  };
  Payloads payloads = { 0 };
  const char *reps_text;
  double pmap[N_WORKLOADS], peer[N_WORKLOADS], floor_s[N_WORKLOADS];
  double pmap_min[N_WORKLOADS], pmap_max[N_WORKLOADS];
  double cancel_s;
  gboolean with_peer;
  int n_targets = 0, n_missed = 0;

  /* Workers are this program, started again. */
  pmap_host_workers ();

  context = g_option_context_new ("[PYTHON PEER-SCRIPT] — time pmap-glib's processes backend");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return EXIT_FAILURE;
    }
  if ((argc != 1 && argc != 3) || n_cpu_rounds < 0)
    {
      g_printerr ("Usage: %s [--json FILE] [--cpu-rounds ROUNDS] [PYTHON PEER-SCRIPT]\n", argv[0]);
      return EXIT_FAILURE;
    }
  with_peer = argc == 3;

  reps_text = g_getenv ("REPS");
  if (reps_text != NULL)
    {
      n_reps = atoi (reps_text);
      if (n_reps < 1)
        {
          g_printerr ("REPS is “%s”, not a number of runs\n", reps_text);
          return EXIT_FAILURE;
        }
    }

  processes = pmap_backend_create ("processes", &error);
  g_assert_no_error (error);
  executor = g_object_new (PMAP_TYPE_EXECUTOR,
                           "n-jobs", N_JOBS,
                           "backend", processes,
                           NULL);

  if (n_cpu_rounds == 0)
    n_cpu_rounds = bench_calibrate_rounds (BENCH_CPU_TASK_MS);
  payloads_init (&payloads, n_cpu_rounds);

  if (json_path != NULL)
    {
      record = bench_record_new ("processes");
      bench_record_set_number (record, "processors", g_get_num_processors ());
      bench_record_set_number (record, "cpu_rounds", n_cpu_rounds);
    }

  g_print ("pmap-glib processes backend against the machine's floors and joblib loky: "
           "%u processors, %d jobs, medians of %d runs\n\n",
           g_get_num_processors (), N_JOBS, n_reps);

  for (guint w = 0; w < N_WORKLOADS; w++)
    {
      g_autofree double *times = g_new (double, n_reps + 1);
      g_autofree double *floor_times = g_new (double, n_reps + 1);

      /* Run 0 is not counted, on either side: it starts the workers, and
       * lets the allocators of both processes settle on the workload. The
       * floor runs in turns with pmap-glib, so that a change in the
       * machine's load weighs on both alike. */
      for (int rep = 0; rep <= n_reps; rep++)
        if (!workloads[w].run (executor, &payloads, &times[rep]) ||
            (workloads[w].run_floor != NULL &&
             !workloads[w].run_floor (executor, &payloads, &floor_times[rep])))
          {
            g_printerr ("on the workload “%s”\n", workloads[w].label);
            return EXIT_FAILURE;
          }

      if (record != NULL)
        {
          bench_record_add (record, workloads[w].key, "pmap C processes", times + 1, n_reps);
          if (workloads[w].run_floor != NULL)
            bench_record_add (record, workloads[w].key, workloads[w].floor, floor_times + 1, n_reps);
        }
      pmap[w] = bench_median (times + 1, n_reps);
      pmap_min[w] = times[1];
      pmap_max[w] = times[n_reps];
      floor_s[w] = workloads[w].run_floor != NULL ? bench_median (floor_times + 1, n_reps) : -1;
    }

  {
    g_autofree double *times = g_new (double, n_reps);

    for (int rep = 0; rep < n_reps; rep++)
      if (!run_cancel (executor, &times[rep]))
        {
          g_printerr ("A cancelled map did not end with G_IO_ERROR_CANCELLED\n");
          return EXIT_FAILURE;
        }
    if (record != NULL)
      bench_record_add (record, "cancel", "pmap C processes", times, n_reps);
    cancel_s = bench_median (times, n_reps);
  }

  if (record != NULL && !bench_record_write (record, json_path, &error))
    {
      g_printerr ("%s\n", error->message);
      return EXIT_FAILURE;
    }

  if (with_peer)
    {
      /* The peer shares REPS through the environment. */
      g_autofree char *reps = g_strdup_printf ("%d", n_reps);

      g_setenv ("REPS", reps, TRUE);
      if (!run_peer (argv[1], argv[2], peer))
        return EXIT_FAILURE;
    }

  g_print ("%-42s %12s %12s %8s   %s\n", "workload", "pmap-glib", "joblib loky", "ratio",
           "pmap-glib's fastest and slowest runs");
  for (guint w = 0; w < N_WORKLOADS; w++)
    {
      if (!with_peer || peer[w] <= 0)
        {
          g_print ("%-42s %9.2f ms %12s %8s   (%.2f to %.2f ms)\n", workloads[w].label,
                   pmap[w] * 1000, "", "", pmap_min[w] * 1000, pmap_max[w] * 1000);
          continue;
        }
      g_print ("%-42s %9.2f ms %9.2f ms %8.4f   (%.2f to %.2f ms)\n", workloads[w].label,
               pmap[w] * 1000, peer[w] * 1000, pmap[w] / peer[w],
               pmap_min[w] * 1000, pmap_max[w] * 1000);
    }

  g_print ("\n%-42s %12s %12s %8s   %s\n", "workload", "pmap-glib", "floor/loop", "ratio",
           "measured in turns with pmap-glib");
  for (guint w = 0; w < N_WORKLOADS; w++)
    if (floor_s[w] > 0)
      g_print ("%-42s %9.2f ms %9.2f ms %8.2f   %s\n", workloads[w].label,
               pmap[w] * 1000, floor_s[w] * 1000, pmap[w] / floor_s[w], workloads[w].floor);

  g_print ("\nOf the tiny-task workload, building its inputs took %.2f ms (mean)\n\n",
           tiny_building_mean_ms ());

  for (guint w = 0; w < N_WORKLOADS; w++)
    {
      if (with_peer && workloads[w].peer_target > 0)
        print_target (workloads[w].label, "/ joblib loky", pmap[w] / peer[w],
                      workloads[w].peer_target, &n_targets, &n_missed);
      if (workloads[w].floor_target > 0 && floor_s[w] > 0)
        print_target (workloads[w].label, workloads[w].floor, pmap[w] / floor_s[w],
                      workloads[w].floor_target, &n_targets, &n_missed);
    }
  g_print ("%-42s %9.2f ms (target <= 100 ms): target %s\n",
           "cancelling a map with 2 busy workers", cancel_s * 1000,
           cancel_s <= 0.1 ? "met" : "missed");
  n_targets++;
  n_missed += cancel_s > 0.1;
  g_print ("%d of %d targets met%s\n", n_targets - n_missed, n_targets,
           with_peer ? "" : " (no Python with joblib was found: no ratios against it)");

  payloads_clear (&payloads);

  return EXIT_SUCCESS;
}
