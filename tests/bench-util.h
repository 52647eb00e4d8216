/* bench-util.h: what the C benchmarks share: CPU-bound work of a chosen
 * size, medians, and the measurements they write for bench-report.py
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <pmap-glib/pmap-glib.h>

G_BEGIN_DECLS

/* How long one CPU-bound task takes when the benchmark sizes it. */
#define BENCH_CPU_TASK_MS 75

guint64   bench_mix              (guint64   seed,
                                  guint64   n_rounds);
GVariant *bench_cpu_task         (GVariant *input,
                                  gpointer  user_data,
                                  GError  **error);
guint64   bench_calibrate_rounds (int       ms);

gboolean  bench_spawn_floor      (double   *seconds);
gboolean  bench_copy_floor       (const void *data,
                                  gsize     size,
                                  guint8   *copy,
                                  double   *seconds);

double    bench_median           (double   *values,
                                  int       n_values);

typedef struct _BenchRecord BenchRecord;

BenchRecord *bench_record_new        (const char   *benchmark);
void         bench_record_set_number (BenchRecord  *record,
                                      const char   *key,
                                      double        value);
void         bench_record_add        (BenchRecord  *record,
                                      const char   *workload,
                                      const char   *implementation,
                                      const double *seconds,
                                      int           n_seconds);
gboolean     bench_record_write      (BenchRecord  *record,
                                      const char   *path,
                                      GError      **error);
void         bench_record_free       (BenchRecord  *record);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BenchRecord, bench_record_free)

G_END_DECLS
