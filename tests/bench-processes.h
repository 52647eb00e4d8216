/* bench-processes.h: the workloads of bench-processes, which
 * bench-processes-workloads.c runs and bench-processes.c times and reports
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "bench-util.h"

G_BEGIN_DECLS

#define N_JOBS       2
#define N_TINY_TASKS 10000
#define LARGE_SIZE   1000000
#define BYTES_SIZE   (8 << 20)
#define N_CPU_TASKS  8

typedef enum {
  COLD,
  TINY,
  LARGE,
  BYTES,
  CPU,
  N_WORKLOADS
} Workload;

/* What every run may need, made once. */
typedef struct
{
  GVariant *large;          /* ax of LARGE_SIZE */
  gint64   *numbers;        /* its elements */
  GVariant *bytes;          /* ay of BYTES_SIZE */
  guint8   *copy;           /* where the memcpy floor copies to */
  GVariant *cpu_inputs[N_CPU_TASKS];
  guint64   cpu_expected[N_CPU_TASKS];
} Payloads;

typedef gboolean (*RunFunc) (PmapExecutor *executor,
                             Payloads     *payloads,
                             double       *seconds);

/* Each workload runs on pmap-glib, and in turns with it on what it is
 * measured against in this program, if anything: a floor of the machine or
 * a sequential loop. joblib runs afterwards, in the peer script. */
typedef struct
{
  const char *key;           /* as the peer script and bench-report.py name it */
  const char *label;
  RunFunc     run;
  double      peer_target;   /* the largest pmap / loky ratio that meets it, 0 if none */
  const char *floor;         /* what runs in turns with pmap-glib, NULL if nothing */
  RunFunc     run_floor;
  double      floor_target;  /* the largest pmap / floor ratio that meets it */
} BenchWorkload;

extern const BenchWorkload workloads[N_WORKLOADS];

void     payloads_init         (Payloads     *payloads,
                                guint64       n_cpu_rounds);
void     payloads_clear        (Payloads     *payloads);
gboolean run_cancel            (PmapExecutor *executor,
                                double       *seconds);
double   tiny_building_mean_ms (void);

G_END_DECLS
