/* test-batch-size.c: the policy of automatic batch sizes, on measures
 * given by hand
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * pmap-batch-size.c is built into this program, so that its sizes can be
 * checked against exact durations rather than a clock's; test-batching.c
 * checks the sizes that the backends really use.
 */

#include "pmap-batch-size-private.h"

/* A job of 2 jobs, automatic unless @fixed, to whose backend a batch
 * costs @cost_us. */
static PmapBatchSize
sizes_new (guint  fixed,
           gint64 cost_us)
{
  PmapBatchSize sizes;

  pmap_batch_size_init (&sizes, fixed, 2);
  sizes.cost_us = cost_us;

  return sizes;
}

/* Nothing measured yet: one task, whatever is left. */
static void
test_starts_small (void)
{
  PmapBatchSize sizes = sizes_new (0, PMAP_BATCH_COST_US_DEFAULT);

  g_assert_cmpuint (pmap_batch_size_next (&sizes, 0), ==, 0);
  g_assert_cmpuint (pmap_batch_size_next (&sizes, 1), ==, 1);
  g_assert_cmpuint (pmap_batch_size_next (&sizes, 100000), ==, 1);

  /* A batch that ran nothing measures nothing. */
  pmap_batch_size_record (&sizes, 0, 1000);
  g_assert_cmpuint (pmap_batch_size_next (&sizes, 100000), ==, 1);
}

/* Quick tasks: the guided size, the remaining tasks over twice the jobs,
 * down to the tasks that last PMAP_BATCH_COST_SHARE times a batch's
 * cost. */
static void
test_quick_tasks (void)
{
  PmapBatchSize sizes = sizes_new (0, 10);

  /* 10 tasks of 1 us, in a batch that cost 10 more. */
  pmap_batch_size_record (&sizes, 10, 20);
  g_assert_cmpuint (pmap_batch_size_next (&sizes, 10000), ==, 2500);
  g_assert_cmpuint (pmap_batch_size_next (&sizes, 1000), ==, 250);
  g_assert_cmpuint (pmap_batch_size_next (&sizes, 120), ==, 50);
  g_assert_cmpuint (pmap_batch_size_next (&sizes, 30), ==, 30);

  /* A backend whose batches cost more takes more at a time. */
  sizes.cost_us = 50;
  g_assert_cmpuint (pmap_batch_size_next (&sizes, 1000), ==, 250);
  g_assert_cmpuint (pmap_batch_size_next (&sizes, 400), ==, 250);
  g_assert_cmpuint (pmap_batch_size_next (&sizes, 100), ==, 100);

  /* The minimum rounds up: 3 tasks of 20 us last 50 us (past the first
   * batches, which leave work for every job). */
  sizes = sizes_new (0, 10);
  sizes.n_handed = sizes.n_jobs;
  pmap_batch_size_record (&sizes, 1, 30);
  g_assert_cmpuint (pmap_batch_size_next (&sizes, 4), ==, 3);
}

/* A batch's cost is not its tasks': a single quick task whose batch took
 * a round trip to a worker process does not make the next batches small,
 * and a tenth of a batch's time counts for its tasks however much the
 * backend says a batch costs. */
static void
test_cost_is_not_the_tasks (void)
{
  PmapBatchSize sizes = sizes_new (0, 50);

  pmap_batch_size_record (&sizes, 1, 60);
  g_assert_cmpfloat_with_epsilon (sizes.task_us, 10, 1e-9);
  g_assert_cmpuint (pmap_batch_size_next (&sizes, 10000), ==, 2500);

  sizes = sizes_new (0, 50);
  pmap_batch_size_record (&sizes, 1, 40);
  g_assert_cmpfloat_with_epsilon (sizes.task_us, 4, 1e-9);
}

/* Slow tasks: no batch lasts more than PMAP_BATCH_MAX_US, yet each has a
 * task, whatever the tasks take. */
static void
test_slow_tasks (void)
{
  PmapBatchSize sizes = sizes_new (0, 50);

  pmap_batch_size_record (&sizes, 1, 20050);
  g_assert_cmpuint (pmap_batch_size_next (&sizes, 100000), ==, PMAP_BATCH_MAX_US / 20000);
  g_assert_cmpuint (pmap_batch_size_next (&sizes, 1), ==, 1);

  pmap_batch_size_record (&sizes, 1, 10 * G_USEC_PER_SEC);
  g_assert_cmpuint (pmap_batch_size_next (&sizes, 100000), ==, 1);

  /* A minimum above the maximum gives way to it. */
  sizes = sizes_new (0, PMAP_BATCH_MAX_US);
  pmap_batch_size_record (&sizes, 1, 20000 + PMAP_BATCH_MAX_US);
  g_assert_cmpuint (pmap_batch_size_next (&sizes, 100000), ==, PMAP_BATCH_MAX_US / 20000);
}

/* Tasks that turn slow size the next batch at once; tasks that turn quick
 * move the measure by their number against one for the measure so far. */
static void
test_follows_the_tasks (void)
{
  PmapBatchSize sizes = sizes_new (0, 10);

  pmap_batch_size_record (&sizes, 1000, 1010);
  g_assert_cmpuint (pmap_batch_size_next (&sizes, 1000000), ==, PMAP_BATCH_MAX_US);

  /* 10 tasks of 100 us. */
  pmap_batch_size_record (&sizes, 10, 1010);
  g_assert_cmpuint (pmap_batch_size_next (&sizes, 1000000), ==, PMAP_BATCH_MAX_US / 100);

  /* A single quick task halves the gap: its batch took less than its
   * cost, so a tenth of its 1 us counts, (100 + 1 × 0.1) / 2. */
  pmap_batch_size_record (&sizes, 1, 0);
  g_assert_cmpfloat_with_epsilon (sizes.task_us, 50.05, 1e-9);

  /* 999 tasks of 1 us: (50.05 + 999 × 1) / 1000. */
  pmap_batch_size_record (&sizes, 999, 1009);
  g_assert_cmpfloat_with_epsilon (sizes.task_us, 1.04905, 1e-9);
  g_assert_cmpuint (pmap_batch_size_next (&sizes, 1000000), ==,
                    (guint) (PMAP_BATCH_MAX_US / 1.04905));
}

/* The first batch of each job leaves work for the others, however quick
 * its tasks: 2 tasks measured quick still go one to each job. */
static void
test_first_batches_leave_work (void)
{
  PmapBatchSize sizes = sizes_new (0, 50);

  pmap_batch_size_record (&sizes, 1000, 550);
  g_assert_cmpfloat_with_epsilon (sizes.task_us, 0.5, 1e-9);
  g_assert_cmpuint (pmap_batch_size_next (&sizes, 2), ==, 1);
  g_assert_cmpuint (pmap_batch_size_next (&sizes, 1), ==, 1);

  sizes = sizes_new (0, 50);
  pmap_batch_size_record (&sizes, 1000, 550);
  g_assert_cmpuint (pmap_batch_size_next (&sizes, 100), ==, 50);
  g_assert_cmpuint (pmap_batch_size_next (&sizes, 50), ==, 25);
  /* Then the least batch that amortises a batch's cost. */
  g_assert_cmpuint (pmap_batch_size_next (&sizes, 25), ==, 25);
}

/* An estimate that an earlier map left, not measured on this map's tasks,
 * sizes batches no larger than guided scheduling's share until a batch
 * ends: however quick it says the tasks are, they may be slow. */
static void
test_remembered_is_a_guess (void)
{
  PmapBatchSize sizes = sizes_new (0, 50);

  sizes.task_us = 0.5;
  g_assert_cmpuint (pmap_batch_size_next (&sizes, 100), ==, 25);
  g_assert_cmpuint (pmap_batch_size_next (&sizes, 75), ==, 18);
  g_assert_cmpuint (pmap_batch_size_next (&sizes, 3), ==, 1);

  /* Measured quick: the least batch that amortises a batch's cost. */
  pmap_batch_size_record (&sizes, 25, 50 + 12);
  g_assert_cmpuint (pmap_batch_size_next (&sizes, 56), ==, 56);

  /* Measured slow: the estimate gives way at once. */
  sizes = sizes_new (0, 50);
  sizes.task_us = 0.5;
  g_assert_cmpuint (pmap_batch_size_next (&sizes, 100), ==, 25);
  pmap_batch_size_record (&sizes, 25, 50 + 25 * 20000);
  g_assert_cmpuint (pmap_batch_size_next (&sizes, 75), ==, PMAP_BATCH_MAX_US / 20000);
}

/* An explicit size is every batch's, measured or not. */
static void
test_fixed_size (void)
{
  PmapBatchSize sizes = sizes_new (7, 50);

  g_assert_cmpuint (pmap_batch_size_next (&sizes, 100), ==, 7);
  pmap_batch_size_record (&sizes, 7, 7 * G_USEC_PER_SEC);
  g_assert_cmpuint (pmap_batch_size_next (&sizes, 100), ==, 7);
  pmap_batch_size_record (&sizes, 7, 0);
  g_assert_cmpuint (pmap_batch_size_next (&sizes, 100), ==, 7);
  g_assert_cmpuint (pmap_batch_size_next (&sizes, 3), ==, 3);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Pmap/BatchSize/starts-small", test_starts_small);
  g_test_add_func ("/Pmap/BatchSize/quick-tasks", test_quick_tasks);
  g_test_add_func ("/Pmap/BatchSize/cost-is-not-the-tasks", test_cost_is_not_the_tasks);
  g_test_add_func ("/Pmap/BatchSize/slow-tasks", test_slow_tasks);
  g_test_add_func ("/Pmap/BatchSize/first-batches-leave-work", test_first_batches_leave_work);
  g_test_add_func ("/Pmap/BatchSize/remembered-is-a-guess", test_remembered_is_a_guess);
  g_test_add_func ("/Pmap/BatchSize/follows-the-tasks", test_follows_the_tasks);
  g_test_add_func ("/Pmap/BatchSize/fixed-size", test_fixed_size);

  return g_test_run ();
}
