/* test-protocol.c: workers that break the protocol, and a parent that
 * survives them
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * PMAP_WORKER_PATH names hostile-worker, which answers each task with its
 * input until an input tells it to misbehave; see hostile-worker.c. The
 * decoder itself, pmap_protocol_decode(), is internal to the library, so
 * frames are tested here, through the parent that reads them. Every case
 * runs in this process, so that the valgrind setup checks how the parent
 * handles what it is sent.
 */

#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "pmap-test-processes-util.h"

/* Where the hostile worker reads how to spoil its hello. */
static char *hello_file;

typedef enum {
  OUTCOME_PROTOCOL,
  OUTCOME_CRASHED,
  OUTCOME_LINGERED,
  OUTCOME_NO_DOMAIN,
  OUTCOME_SUCCESS,
} Outcome;

typedef struct
{
  const char *how;
  Outcome     outcome;
  const char *detail;   /* in the error message */
  /* Noticed as soon as read, which may be while the parent reads the
   * answers that came before it in the batch. */
  gboolean    read_ahead;
} Misbehaviour;

static const Misbehaviour misbehaviours[] = {
  { "garbage", OUTCOME_PROTOCOL,
    "A frame starts with 0x73696874 instead of the protocol's magic number 0x50414d50" },
  { "magic", OUTCOME_PROTOCOL,
    "A frame starts with 0x504d4150 instead of the protocol's magic number 0x50414d50" },
  { "oversized", OUTCOME_PROTOCOL,
    "A frame announces 536870913 bytes, more than the 536870912 that the protocol allows" },
  { "huge", OUTCOME_PROTOCOL,
    "A frame announces 4294967295 bytes, more than the 536870912 that the protocol allows" },
  /* A worker that dies in the middle of a frame died: its exit is what
   * the parent reports. */
  { "truncated-header", OUTCOME_CRASHED, "exited with status 0" },
  { "truncated", OUTCOME_CRASHED, "exited with status 0" },
  { "empty", OUTCOME_PROTOCOL, "The message is not a GVariant of type (uv) in normal form" },
  { "not-normal", OUTCOME_PROTOCOL, "The message is not a GVariant of type (uv) in normal form" },
  { "bad-utf8", OUTCOME_PROTOCOL, "The message is not a GVariant of type (uv) in normal form" },
  { "wrong-type", OUTCOME_PROTOCOL, "A message of kind 3 has a body of type (ux) instead of (uv)" },
  { "unknown-kind", OUTCOME_PROTOCOL, "The message has the unknown kind 99" },
  { "hello-again", OUTCOME_PROTOCOL, "it sent a message of kind 1 in answer to a batch" },
  { "wrong-index", OUTCOME_PROTOCOL, "it answered for task 1006 while task 6 was next" },
  { "memfd-short", OUTCOME_PROTOCOL,
    "A memfd frame announces 4096 bytes, but its descriptor is not a sealed memfd of that size" },
  { "memfd-unsealed", OUTCOME_PROTOCOL,
    "A memfd frame announces 4096 bytes, but its descriptor is not a sealed memfd of that size" },
  { "memfd-missing", OUTCOME_PROTOCOL, "A memfd frame came without its descriptor" },
  /* Descriptors come with whatever bytes the parent reads at once. */
  { "fd-flood", OUTCOME_PROTOCOL, "More than 16 descriptors came ahead of their frames", TRUE },
  { "close-and-exit", OUTCOME_CRASHED, "exited with status 7" },
  /* The parent gives a worker that closed its channel a moment to exit,
   * then stops it. */
  { "close-and-stay", OUTCOME_LINGERED, NULL },
  { "empty-domain", OUTCOME_NO_DOMAIN, "an error of no domain" },
  /* Not a misbehaviour: a frame that arrives a byte at a time is read
   * whole. */
  { "drip", OUTCOME_SUCCESS, NULL },
};

typedef struct
{
  const char *how;
  const char *detail;
} BadHello;

static const BadHello bad_hellos[] = {
  { "exit", "The worker channel was closed (it exited with status 5)" },
  { "version", "it speaks version 3 of the protocol, not version 2; the worker and "
               "the library come from different builds" },
  { "kind", "its first message is of kind 3, not a hello" },
  { "type", "A message of kind 1 has a body of type (u) instead of (ux)" },
  { "garbage", "A frame starts with 0x6c6c6568 instead of the protocol's magic number" },
  /* A worker that never says hello is given 30 seconds: too long here. */
};

static void
set_hello (const char *how)
{
  g_autoptr(GError) error = NULL;

  g_file_set_contents (hello_file, how, -1, &error);
  g_assert_no_error (error);
}

/* The inputs 0 … 9, the one at @misbehave_at telling the worker @how to
 * misbehave there, if any. */
static GPtrArray *
items_new (const char *how,
           guint       misbehave_at)
{
  GPtrArray *items = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);

  for (guint i = 0; i < 10; i++)
    {
      g_autofree char *order = g_strdup_printf ("misbehave:%s", how);
      GVariant *item = (how != NULL && i == misbehave_at) ?
                       g_variant_new_string (order) : g_variant_new_int64 (i);

      g_ptr_array_add (items, g_variant_ref_sink (item));
    }

  return items;
}

/* Any registered function: the hostile worker ignores it and answers
 * with the inputs. */
static GPtrArray *
map (PmapExecutor  *executor,
     GPtrArray     *items,
     GError       **error)
{
  return pmap_executor_map_by_name (executor, "test.square", (GVariant **) items->pdata,
                                    items->len, NULL, error);
}

static void
assert_echo (GPtrArray *results,
             GPtrArray *items)
{
  g_assert_nonnull (results);
  g_assert_cmpuint (results->len, ==, items->len);
  for (guint i = 0; i < items->len; i++)
    g_assert_true (g_variant_equal (g_ptr_array_index (results, i),
                                    g_ptr_array_index (items, i)));
}

/* The worker named in "the worker process PID …" has gone. */
static void
assert_worker_gone (const char *message)
{
  const char *named = strstr (message, "the worker process ");
  int pid = 0;

  g_assert_nonnull (named);
  g_assert_cmpint (sscanf (named, "the worker process %d ", &pid), ==, 1);
  g_assert_cmpint (pid, >, 0);
  g_assert_false (test_process_exists (pid));
}

static void
test_misbehaviour (gconstpointer data)
{
  const Misbehaviour *misbehaviour = data;
  TestResources resources = { 0 };
  g_autoptr(GPtrArray) items = items_new (misbehaviour->how, 6);
  g_autoptr(GPtrArray) good_items = items_new (NULL, 0);

  test_resources_snapshot (&resources);

  for (guint batch_size = 1; batch_size <= 4; batch_size += 3)
    {
      g_autoptr(PmapExecutor) executor = test_processes_executor_new (2, batch_size);
      g_autoptr(GPtrArray) results = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *expected = NULL;
      int expected_code = misbehaviour->outcome == OUTCOME_PROTOCOL ?
                          PMAP_ERROR_PROTOCOL : PMAP_ERROR_WORKER_CRASHED;

      results = map (executor, items, &error);

      switch (misbehaviour->outcome)
        {
        case OUTCOME_SUCCESS:
          g_assert_no_error (error);
          assert_echo (results, items);
          break;

        case OUTCOME_NO_DOMAIN:
          g_assert_null (results);
          g_assert_nonnull (error);
          g_assert_true (error->domain == g_quark_from_string (""));
          g_assert_cmpint (error->code, ==, -1);
          g_assert_cmpstr (error->message, ==, "Task 6 failed: an error of no domain");
          break;

        case OUTCOME_LINGERED:
          g_assert_null (results);
          g_assert_error (error, PMAP_ERROR, PMAP_ERROR_PROTOCOL);
          g_assert_true (g_str_has_prefix (error->message, "Task 6 failed: the worker process "));
          g_assert_true (g_str_has_suffix (error->message,
                                           " closed its channel but did not exit, and was stopped"));
          assert_worker_gone (error->message);
          break;

        case OUTCOME_PROTOCOL:
        case OUTCOME_CRASHED:
          g_assert_null (results);
          g_assert_error (error, PMAP_ERROR, expected_code);
          g_test_message ("%s", error->message);
          g_assert_true (g_str_has_prefix (error->message,
                                           misbehaviour->read_ahead ? "Task " :
                                           "Task 6 failed: the worker process "));
          g_assert_cmpint (g_ascii_strtoll (error->message + strlen ("Task "), NULL, 10), <=, 6);
          expected = g_strdup_printf (misbehaviour->outcome == OUTCOME_PROTOCOL ?
                                      " broke the protocol (%s) and was stopped" :
                                      " running it %s; a new worker replaces it",
                                      misbehaviour->detail);
          g_assert_true (g_str_has_suffix (error->message, expected));
          assert_worker_gone (error->message);
          break;

        default:
          g_assert_not_reached ();
        }
      g_clear_pointer (&results, g_ptr_array_unref);
      g_clear_error (&error);

      /* The next map, with well-behaved workers, works. */
      results = map (executor, good_items, &error);
      g_assert_no_error (error);
      assert_echo (results, good_items);
    }

  test_resources_assert_released (&resources);
  test_resources_clear (&resources);
}

static void
test_bad_hello (gconstpointer data)
{
  const BadHello *bad_hello = data;
  TestResources resources = { 0 };
  g_autoptr(PmapExecutor) executor = test_processes_executor_new (2, 0);
  g_autoptr(GPtrArray) item = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  g_autoptr(GPtrArray) good_items = items_new (NULL, 0);
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *expected = NULL;

  test_resources_snapshot (&resources);

  /* One task, for one worker to start. */
  g_ptr_array_add (item, g_variant_ref_sink (g_variant_new_int64 (1)));

  /* Again and again: a worker that fails at once may be gone before the
   * parent has looked at it, and the parent must cope with that too. */
  set_hello (bad_hello->how);
  for (guint i = 0; i < 10; i++)
    {
      results = map (executor, item, &error);

      g_assert_null (results);
      g_assert_error (error, PMAP_ERROR, PMAP_ERROR_WORKER_START);
      if (i == 0)
        g_test_message ("%s", error->message);
      expected = g_strdup_printf ("Task 0 failed: The worker process %s did not start: %s",
                                  g_getenv ("PMAP_WORKER_PATH"), bad_hello->detail);
      g_assert_true (g_str_has_prefix (error->message, expected));
      g_assert_true (g_str_has_suffix (error->message,
                                       "; if this program calls pmap_host_workers(), call "
                                       "it first in main()"));
      g_clear_error (&error);
      g_clear_pointer (&expected, g_free);
    }
  set_hello ("");

  results = map (executor, good_items, &error);
  g_assert_no_error (error);
  assert_echo (results, good_items);

  test_resources_assert_released (&resources);
  test_resources_clear (&resources);
}

/* Errors of ever new domains: the parent interns the first few hundred,
 * then takes such errors as PMAP_ERROR_FAILED naming their domain, so that
 * a worker cannot grow it for ever. */
static void
check_fresh_error_domains (void)
{
  g_autoptr(PmapExecutor) executor = test_processes_executor_new (2, 1);
  g_autoptr(GPtrArray) items = items_new ("fresh-domain", 0);
  guint n_kept = 0, n_folded = 0;

  for (guint i = 0; i < 400; i++)
    {
      g_autoptr(GPtrArray) results = NULL;
      g_autoptr(GError) error = NULL;

      results = map (executor, items, &error);
      g_assert_null (results);
      g_assert_nonnull (error);
      if (g_error_matches (error, PMAP_ERROR, PMAP_ERROR_FAILED))
        {
          g_assert_true (g_str_has_prefix (error->message,
                                           "Task 0 failed: an error of a new domain (error 5 of pmap.hostile."));
          n_folded++;
        }
      else
        {
          /* Once the parent stops interning, it never starts again. */
          g_assert_cmpuint (n_folded, ==, 0);
          g_assert_true (g_str_has_prefix (g_quark_to_string (error->domain), "pmap.hostile."));
          g_assert_cmpint (error->code, ==, 5);
          n_kept++;
        }
    }

  g_assert_cmpuint (n_kept, >, 0);
  g_assert_cmpuint (n_kept, <=, 256);
  g_assert_cmpuint (n_folded, >=, 400 - 256);
  test_stop_idle_workers ();
}

/* In a process of its own: the budget of new domains is the process's. */
static void
test_fresh_error_domains (void)
{
  if (g_test_subprocess ())
    {
      check_fresh_error_domains ();
      return;
    }

  g_test_trap_subprocess (NULL, 120 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int fd;
  int status;

  test_init (&argc, &argv);

  /* Set before any thread starts, and never again. */
  fd = g_file_open_tmp ("pmap-hostile-hello-XXXXXX", &hello_file, &error);
  g_assert_no_error (error);
  close (fd);
  g_setenv ("PMAP_HOSTILE_HELLO_FILE", hello_file, TRUE);
  g_assert_nonnull (g_getenv ("PMAP_WORKER_PATH"));
  test_load_module ();

  for (guint i = 0; i < G_N_ELEMENTS (misbehaviours); i++)
    {
      g_autofree char *path = g_strdup_printf ("/Pmap/Protocol/answer/%s", misbehaviours[i].how);

      g_test_add_data_func (path, &misbehaviours[i], test_misbehaviour);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad_hellos); i++)
    {
      g_autofree char *path = g_strdup_printf ("/Pmap/Protocol/hello/%s", bad_hellos[i].how);

      g_test_add_data_func (path, &bad_hellos[i], test_bad_hello);
    }
  g_test_add_func ("/Pmap/Protocol/fresh-error-domains", test_fresh_error_domains);

  status = g_test_run ();

  g_unlink (hello_file);
  g_free (hello_file);
  return status;
}
