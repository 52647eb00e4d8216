/* bench-shared.c: the memory that a large argument shared by every task
 * costs the processes backend
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Two workers map a function over 16 tasks that all hold the same 100 MiB
 * bytestring, and read every byte of it. A thread samples, every few
 * milliseconds while the map runs, the memory of this process and of each
 * of its workers, and keeps the largest total: the proportional set size
 * (PSS, from /proc/PID/smaps) of every mapping but memfds, which divides
 * each page among the processes that map it, plus for each memfd the most
 * of its pages that any of them has resident, so that the pages that the
 * parent and its workers share count once, and private copies in full. The
 * total includes what the processes hold besides the value (their code,
 * libraries and heaps, a few MiB each). The figure is that peak over
 * 100 MiB: 1 means that the value exists once.
 *
 * It is measured three ways: the value in ordinary memory with sharing
 * off (max-nbytes above its size: it travels in every batch, as before
 * sharing), the same value shared (copied once into a memfd), and the
 * value made by pmap_bytes_new_shared_fill(), which the workers map with
 * no copy at all.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pmap-glib/pmap-glib.h>

#define VALUE_SIZE (100 * 1024 * 1024)
#define N_TASKS 16
#define N_WORKERS 2
#define SAMPLE_INTERVAL_US 2000
/* Each way is measured this many times, and the largest peak kept: a
 * sampler that a busy machine starves can only miss memory. */
#define N_RUNS 3

/* (u@ay) → t: the sum of the bytes, which reads them all. */
static GVariant *
sum_bytes (GVariant  *input,
           gpointer   user_data,
           GError   **error)
{
  g_autoptr(GVariant) bytes = g_variant_get_child_value (input, 1);
  gsize size;
  const guint8 *data = g_variant_get_fixed_array (bytes, &size, 1);
  guint64 sum = 0;

  for (gsize i = 0; i < size; i++)
    sum += data[i];

  return g_variant_new_uint64 (sum);
}

/* Adds what @pid holds in memory: to *@other the proportional set size
 * (PSS) of every mapping that is not a memfd, and for each memfd to
 * @memfds, by inode, the most of its pages that any process has resident.
 * A memfd's pages then count once, whoever maps them, at any moment:
 * summing PSS alone would count them twice when one process unmaps them
 * between the reads of two others, as a worker does when its map ends. */
static void
read_memory (int         pid,
             guint64    *other,
             GHashTable *memfds)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/smaps", pid);
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  guint64 inode = 0;
  gboolean memfd = FALSE;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return;

  lines = g_strsplit (text, "\n", -1);
  for (char **line = lines; *line != NULL; line++)
    {
      guint64 kib;

      if (g_ascii_isxdigit ((*line)[0]) && strchr (*line, '-') != NULL)
        {
          /* A mapping: address perms offset dev inode path. */
          memfd = strstr (*line, " /memfd:") != NULL &&
                  sscanf (*line, "%*s %*s %*s %*s %" G_GUINT64_FORMAT, &inode) == 1;
        }
      else if (memfd && sscanf (*line, "Rss: %" G_GUINT64_FORMAT, &kib) == 1)
        {
          guint64 seen = GPOINTER_TO_SIZE (g_hash_table_lookup (memfds, &inode));

          if (kib * 1024 > seen)
            g_hash_table_insert (memfds, g_memdup2 (&inode, sizeof inode),
                                 GSIZE_TO_POINTER (kib * 1024));
        }
      else if (!memfd && sscanf (*line, "Pss: %" G_GUINT64_FORMAT, &kib) == 1)
        *other += kib * 1024;
    }
}

/* The parent process id of @pid, from /proc/PID/stat; 0 if gone. */
static int
read_parent (const char *pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/stat", pid);
  g_autofree char *text = NULL;
  const char *after_name;
  int parent = 0;

  if (!g_file_get_contents (path, &text, NULL, NULL) ||
      (after_name = strrchr (text, ')')) == NULL ||
      sscanf (after_name, ") %*c %d", &parent) != 1)
    return 0;

  return parent;
}

/* The memory of this process and of its children (see read_memory()),
 * found as the processes whose parent it is: /proc/PID/task/TID/children
 * misses the children of threads that ended. */
static guint64
read_total_memory (guint *n_children)
{
  g_autoptr(GDir) processes = g_dir_open ("/proc", 0, NULL);
  g_autoptr(GHashTable) memfds = g_hash_table_new_full (g_int64_hash, g_int64_equal,
                                                        g_free, NULL);
  int self = getpid ();
  guint64 total = 0;
  const char *name;
  GHashTableIter iter;
  gpointer size;

  read_memory (self, &total, memfds);
  *n_children = 0;
  while (processes != NULL && (name = g_dir_read_name (processes)) != NULL)
    if (g_ascii_isdigit (name[0]) && read_parent (name) == self)
      {
        read_memory (atoi (name), &total, memfds);
        (*n_children)++;
      }

  g_hash_table_iter_init (&iter, memfds);
  while (g_hash_table_iter_next (&iter, NULL, &size))
    total += GPOINTER_TO_SIZE (size);

  return total;
}

typedef struct
{
  gint    running;
  guint64 peak;
  /* How many samples saw both workers: a figure that none saw would leave
   * their memory out. */
  guint   n_whole;
} Sampler;

static gpointer
sample (gpointer data)
{
  Sampler *sampler = data;

  while (g_atomic_int_get (&sampler->running))
    {
      guint n_children;
      guint64 total = read_total_memory (&n_children);

      if (n_children >= N_WORKERS)
        {
          sampler->peak = MAX (sampler->peak, total);
          sampler->n_whole++;
        }
      g_usleep (SAMPLE_INTERVAL_US);
    }

  return NULL;
}

/* Every byte written, so that every page is there. */
static gboolean
fill_value (guint8   *data,
            gsize     size,
            gpointer  user_data,
            GError  **error)
{
  memset (data, 0x5a, size);
  return TRUE;
}

static GVariant *
plain_value_new (void)
{
  guint8 *data = g_malloc (VALUE_SIZE);

  fill_value (data, VALUE_SIZE, NULL, NULL);
  return g_variant_new_from_data (G_VARIANT_TYPE_BYTESTRING, data, VALUE_SIZE, TRUE,
                                  g_free, data);
}

static GVariant *
shared_value_new (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = pmap_bytes_new_shared_fill (VALUE_SIZE, fill_value, NULL, &error);

  g_assert_no_error (error);
  return g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, bytes, TRUE);
}

/* Maps over N_TASKS inputs that all hold @value, which it takes, and
 * returns the peak memory during the map over VALUE_SIZE. */
static double
measure_once (PmapExecutor *executor,
              GVariant     *value)
{
  g_autoptr(GVariant) big = g_variant_ref_sink (value);
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;
  Sampler sampler = { 1, 0, 0 };
  GThread *thread;

  for (guint i = 0; i < N_TASKS; i++)
    g_ptr_array_add (items, g_variant_ref_sink (g_variant_new ("(u@ay)", i, big)));
  /* The map's inputs hold the value now: this reference is not what
   * keeps it. */
  g_clear_pointer (&big, g_variant_unref);

  thread = g_thread_new ("pss-sampler", sample, &sampler);
  results = pmap_executor_map (executor, (GVariant **) items->pdata, items->len,
                               sum_bytes, NULL, NULL, &error);
  g_atomic_int_set (&sampler.running, 0);
  g_thread_join (thread);

  g_assert_no_error (error);
  if (sampler.n_whole == 0)
    g_error ("No sample of the memory saw the %d workers while the map ran", N_WORKERS);
  for (guint i = 1; i < results->len; i++)
    g_assert_cmpuint (g_variant_get_uint64 (results->pdata[i]), ==,
                      g_variant_get_uint64 (results->pdata[0]));

  return sampler.peak / (double) VALUE_SIZE;
}

/* The largest of N_RUNS measures, each with a value that @new_value
 * makes and new workers. */
static double
measure (PmapExecutor  *executor,
         GVariant    *(*new_value) (void))
{
  double peak = 0;

  for (int i = 0; i < N_RUNS; i++)
    {
      peak = MAX (peak, measure_once (executor, new_value ()));
      pmap_backend_shutdown (pmap_executor_get_backend (executor));
    }

  return peak;
}

/* The three figures as JSON, for bench-report.py. */
static void
write_json (const char *path,
            double      copied,
            double      shared,
            double      no_copy)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  text = g_strdup_printf ("{\"value_mib\": %d, \"tasks\": %d, \"peak_memory_over_value\": "
                          "{\"copied\": %.4f, \"shared\": %.4f, \"shared-bytes\": %.4f}}\n",
                          VALUE_SIZE >> 20, N_TASKS, copied, shared, no_copy);
  if (!g_file_set_contents (path, text, -1, &error))
    g_error ("Could not write %s: %s", path, error->message);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(PmapExecutor) executor = NULL;
  g_autoptr(PmapBackend) backend = NULL;
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *json_path = NULL;
  double copied, shared, no_copy;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_FILENAME, &json_path,
      "Also write the figures to FILE as JSON", "FILE" },
    { NULL }
  };

  pmap_host_workers ();

  context = g_option_context_new ("— the memory of a 100 MiB shared argument");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }

  executor = pmap_executor_new ();
  backend = pmap_backend_create ("processes", NULL);
  pmap_executor_set_backend (executor, backend);
  pmap_executor_set_n_jobs (executor, N_WORKERS);
  pmap_executor_set_batch_size (executor, 1);

  /* Before sharing: the value travels in every batch. */
  pmap_executor_set_max_nbytes (executor, G_MAXUINT64);
  copied = measure (executor, plain_value_new);

  pmap_executor_set_max_nbytes (executor, 1024 * 1024);
  shared = measure (executor, plain_value_new);
  no_copy = measure (executor, shared_value_new);

  g_print ("A 100 MiB argument held by %d tasks, 2 workers: peak memory of the "
           "parent and its workers (PSS, memfds once), sampled every %d ms, over 100 MiB, the "
           "largest of %d runs (target < 1.3)\n", N_TASKS,
           SAMPLE_INTERVAL_US / 1000, N_RUNS);
  g_print ("  sent in every batch (max-nbytes above it)   %.2f\n", copied);
  g_print ("  shared, the value in ordinary memory         %.2f\n", shared);
  g_print ("  shared, pmap_bytes_new_shared_fill()         %.2f\n", no_copy);
  if (json_path != NULL)
    write_json (json_path, copied, shared, no_copy);

  return 0;
}
