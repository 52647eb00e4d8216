/* bench-util.c: what the C benchmarks share
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "bench-util.h"

extern char **environ;

/* CPU-bound work of a chosen size: rounds of xorshift from a seed. */
guint64
bench_mix (guint64 seed,
           guint64 n_rounds)
{
  guint64 x = seed * G_GUINT64_CONSTANT (0x9E3779B97F4A7C15) + 1;

  for (guint64 k = 0; k < n_rounds; k++)
    {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
    }

  return x;
}

/* (seed, rounds) → bench_mix (seed, rounds) */
GVariant *
bench_cpu_task (GVariant  *input,
                gpointer   user_data,
                GError   **error)
{
  guint64 seed, n_rounds;

  g_variant_get (input, "(tt)", &seed, &n_rounds);
  return g_variant_new_uint64 (bench_mix (seed, n_rounds));
}

/* How many rounds of bench_mix() take @ms milliseconds on this machine. */
guint64
bench_calibrate_rounds (int ms)
{
  guint64 n_rounds = 1 << 20;
  gint64 elapsed;

  for (;;)
    {
      gint64 start = g_get_monotonic_time ();
      volatile guint64 sink = bench_mix (1, n_rounds);

      (void) sink;
      elapsed = g_get_monotonic_time () - start;
      if (elapsed >= 20000)
        break;
      n_rounds *= 2;
    }

  return n_rounds * (ms * 1000) / elapsed;
}

/* The floor of a cold start: posix_spawn() of a trivial program, and
 * waiting for it to exit. */
gboolean
bench_spawn_floor (double *seconds)
{
  char *argv[] = { "/bin/true", NULL };
  gint64 start = g_get_monotonic_time ();
  pid_t pid;
  int status;
  int code;

  code = posix_spawn (&pid, argv[0], NULL, NULL, argv, environ);
  if (code != 0)
    {
      g_printerr ("Could not spawn %s: %s\n", argv[0], g_strerror (code));
      return FALSE;
    }
  if (waitpid (pid, &status, 0) != pid || !WIFEXITED (status) || WEXITSTATUS (status) != 0)
    {
      g_printerr ("%s did not exit with status 0\n", argv[0]);
      return FALSE;
    }
  *seconds = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;

  return TRUE;
}

/* The floor of moving a payload: one memcpy() into memory already mapped. */
gboolean
bench_copy_floor (const void *data,
                  gsize       size,
                  guint8     *copy,
                  double     *seconds)
{
  gint64 start = g_get_monotonic_time ();

  memcpy (copy, data, size);
  *seconds = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;

  /* Reading the copy keeps the compiler from dropping it. */
  return memcmp (copy + size - 64, (const guint8 *) data + size - 64, 64) == 0;
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double da = *(const double *) a;
  double db = *(const double *) b;

  return (da > db) - (da < db);
}

/* The median of @values, which it sorts. */
double
bench_median (double *values,
              int     n_values)
{
  qsort (values, n_values, sizeof (double), compare_doubles);

  if (n_values % 2 == 1)
    return values[n_values / 2];

  return (values[n_values / 2 - 1] + values[n_values / 2]) / 2;
}

/* The measurements of one benchmark program, as the JSON object that
 * tests/bench-report.py reads:
 *
 *   { "benchmark": NAME, NUMBER-KEY: NUMBER…,
 *     "measurements": [ { "workload": …, "implementation": …,
 *                         "median_s": …, "runs": N, "seconds": [ … ] }… ] }
 */
struct _BenchRecord
{
  GString *numbers;
  GString *measurements;
};

static void
append_string (GString    *json,
               const char *text)
{
  g_string_append_c (json, '"');
  for (const char *c = text; *c != '\0'; c++)
    {
      if (*c == '"' || *c == '\\')
        g_string_append_c (json, '\\');
      if ((guchar) *c < 0x20)
        g_string_append_printf (json, "\\u%04x", *c);
      else
        g_string_append_c (json, *c);
    }
  g_string_append_c (json, '"');
}

static void
append_number (GString *json,
               double   value)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];

  g_string_append (json, g_ascii_formatd (buffer, sizeof buffer, "%.9g", value));
}

BenchRecord *
bench_record_new (const char *benchmark)
{
  BenchRecord *record = g_new0 (BenchRecord, 1);

  record->numbers = g_string_new ("{\n  \"benchmark\": ");
  append_string (record->numbers, benchmark);
  record->measurements = g_string_new (NULL);

  return record;
}

void
bench_record_set_number (BenchRecord *record,
                         const char  *key,
                         double       value)
{
  g_string_append (record->numbers, ",\n  ");
  append_string (record->numbers, key);
  g_string_append (record->numbers, ": ");
  append_number (record->numbers, value);
}

/* Adds the @n_seconds times that one implementation took on one workload. */
void
bench_record_add (BenchRecord  *record,
                  const char   *workload,
                  const char   *implementation,
                  const double *seconds,
                  int           n_seconds)
{
  g_autofree double *sorted = g_memdup2 (seconds, n_seconds * sizeof (double));
  GString *json = record->measurements;

  g_string_append (json, json->len == 0 ? "\n    " : ",\n    ");
  g_string_append (json, "{\"workload\": ");
  append_string (json, workload);
  g_string_append (json, ", \"implementation\": ");
  append_string (json, implementation);
  g_string_append (json, ", \"median_s\": ");
  append_number (json, bench_median (sorted, n_seconds));
  g_string_append_printf (json, ", \"runs\": %d, \"seconds\": [", n_seconds);
  for (int i = 0; i < n_seconds; i++)
    {
      if (i > 0)
        g_string_append (json, ", ");
      append_number (json, seconds[i]);
    }
  g_string_append (json, "]}");
}

gboolean
bench_record_write (BenchRecord  *record,
                    const char   *path,
                    GError      **error)
{
  g_autofree char *json = g_strdup_printf ("%s,\n  \"measurements\": [%s\n  ]\n}\n",
                                           record->numbers->str,
                                           record->measurements->str);

  if (!g_file_set_contents (path, json, -1, error))
    {
      g_prefix_error (error, "Could not write the measurements: ");
      return FALSE;
    }

  return TRUE;
}

void
bench_record_free (BenchRecord *record)
{
  g_string_free (record->numbers, TRUE);
  g_string_free (record->measurements, TRUE);
  g_free (record);
}
