/* hostile-worker.c: a worker process that breaks the protocol on purpose
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * test-protocol points PMAP_WORKER_PATH here. The worker speaks the
 * protocol of docs/protocol.md by hand, with nothing of pmap-glib's, so
 * that it can get every part of it wrong:
 *
 * - the file that PMAP_HOSTILE_HELLO_FILE names, when it is not empty,
 *   names a way to spoil the hello, the first message; the test writes it
 *   before a map, so that its environment never changes while threads
 *   run;
 * - it answers each task with its input, as a well-behaved worker running
 *   the identity function would, until a task's input is a string
 *   "misbehave:HOW": instead of answering that task it does what HOW
 *   names, then, for most HOWs, waits for the parent to stop it. Some
 *   HOWs send memfd frames (see “Framing” in docs/protocol.md) that are
 *   wrong in their descriptors rather than in their bytes.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>

#define MAGIC 0x50414d50u
#define MAGIC_MEMFD 0x46414d50u
#define MAX_BODY (512u * 1024u * 1024u)

enum {
  HELLO = 1,
  BATCH,
  RESULT,
  ERROR,
  QUIT,
};

static int channel = -1;

static void
write_all (const void *data,
           gsize       size)
{
  const guint8 *bytes = data;

  while (size > 0)
    {
      ssize_t n = write (channel, bytes, size);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          /* The parent stopped listening: nothing left to spoil. */
          _exit (0);
        }
      bytes += n;
      size -= n;
    }
}

static void
write_header (guint32 magic,
              guint32 size)
{
  guint32 header[2] = { GUINT32_TO_LE (magic), GUINT32_TO_LE (size) };

  write_all (header, sizeof header);
}

/* The body of a message: (uv), the kind and the boxed @body, which is
 * sunk. */
static GBytes *
message_new (guint32   kind,
             GVariant *body)
{
  g_autoptr(GVariant) message = NULL;

  message = g_variant_ref_sink (g_variant_new ("(u@v)", kind, g_variant_new_variant (body)));
  return g_variant_get_data_as_bytes (message);
}

static void
send_frame (GBytes *body)
{
  write_header (MAGIC, g_bytes_get_size (body));
  write_all (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
}

static void
send_message (guint32   kind,
              GVariant *body)
{
  g_autoptr(GBytes) bytes = message_new (kind, body);

  send_frame (bytes);
}

/* Reads a whole message; exits at the end of the stream. */
static GVariant *
receive_message (guint32 *kind)
{
  guint32 header[2];
  guint8 *body;
  gsize done = 0;
  gsize size;
  GVariant *message;
  GVariant *value;

  while (done < sizeof header)
    {
      ssize_t n = read (channel, (guint8 *) header + done, sizeof header - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        exit (0);
      done += n;
    }

  g_assert_cmphex (GUINT32_FROM_LE (header[0]), ==, MAGIC);
  size = GUINT32_FROM_LE (header[1]);
  g_assert_cmpuint (size, <=, MAX_BODY);

  body = g_malloc (size);
  done = 0;
  while (done < size)
    {
      ssize_t n = read (channel, body + done, size - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        exit (0);
      done += n;
    }

  message = g_variant_ref_sink (g_variant_new_from_data (G_VARIANT_TYPE ("(uv)"),
                                                         body, size, FALSE,
                                                         g_free, body));
  g_variant_get (message, "(uv)", kind, &value);
  g_variant_unref (message);

  return value;
}

/* A RESULTS body answering the one task @index with @value, packed as the
 * parent expects: an array of values, boxed. */
static GVariant *
results_body (guint32   index,
              GVariant *value)
{
  GVariant *boxed = g_variant_new_variant (value);

  return g_variant_new ("(u@v)", index,
                        g_variant_new_variant (g_variant_new_array (G_VARIANT_TYPE_VARIANT,
                                                                    &boxed, 1)));
}

/* After misbehaving: the parent is expected to stop us. */
static void G_GNUC_NORETURN
wait_for_the_end (void)
{
  guint8 byte;
  ssize_t n;

  do
    n = read (channel, &byte, 1);
  while (n > 0 || (n < 0 && errno == EINTR));

  exit (0);
}

static void
send_hello (void)
{
  const char *path = g_getenv ("PMAP_HOSTILE_HELLO_FILE");
  g_autofree char *how = NULL;

  if (path != NULL && !g_file_get_contents (path, &how, NULL, NULL))
    g_error ("cannot read %s", path);

  if (how == NULL || how[0] == '\0')
    send_message (HELLO, g_variant_new ("(ux)", 2, (gint64) getpid ()));
  else if (g_str_equal (how, "exit"))
    exit (5);
  else if (g_str_equal (how, "version"))
    send_message (HELLO, g_variant_new ("(ux)", 3, (gint64) getpid ()));
  else if (g_str_equal (how, "kind"))
    send_message (RESULT, results_body (0, g_variant_new_int64 (0)));
  else if (g_str_equal (how, "type"))
    send_message (HELLO, g_variant_new ("(u)", 1));
  else if (g_str_equal (how, "garbage"))
    {
      write_all ("hello, parent", 13);
      wait_for_the_end ();
    }
  else
    g_error ("unknown PMAP_HOSTILE_HELLO “%s”", how);
}

/* A RESULT for @index in a frame whose body is no longer in normal form:
 * the separator between the boxed value and its type is not a zero byte. */
static void
send_not_normal (guint32 index)
{
  g_autoptr(GBytes) bytes = message_new (RESULT, results_body (index,
                                                                g_variant_new_int64 (42)));
  gsize size;
  guint8 *data = g_bytes_unref_to_data (g_steal_pointer (&bytes), &size);
  /* The body's type, "(uv)", closes the message: its separator precedes
   * it. */
  gsize separator = size - strlen ("(uv)") - 1;

  g_assert_cmpint (data[separator], ==, 0);
  data[separator] = 'X';

  bytes = g_bytes_new_take (data, size);
  send_frame (bytes);
}

/* An ERROR for @index whose message is not UTF-8, which a GVariant string
 * in normal form must be. */
static void
send_bad_utf8 (guint32 index)
{
  g_autoptr(GBytes) bytes = message_new (ERROR, g_variant_new ("(usis)", index,
                                                               "g-io-error-quark", 1,
                                                               "valid so far"));
  gsize size;
  guint8 *data = g_bytes_unref_to_data (g_steal_pointer (&bytes), &size);
  guint8 *text = memmem (data, size, "valid", 5);

  g_assert_nonnull (text);
  text[0] = 0xff;

  bytes = g_bytes_new_take (data, size);
  send_frame (bytes);
}

/* Sends a memfd frame's header, which announces @size bytes, with
 * @n_fds descriptors attached to its first byte. */
static void
write_memfd_header (guint32    size,
                    const int *fds,
                    guint      n_fds)
{
  guint32 header[2] = { GUINT32_TO_LE (MAGIC_MEMFD), GUINT32_TO_LE (size) };
  union {
    struct cmsghdr align;
    char space[CMSG_SPACE (32 * sizeof (int))];
  } control = { 0 };
  struct iovec iov = { header, 1 };
  struct msghdr message = { .msg_iov = &iov, .msg_iovlen = 1 };

  g_assert (n_fds <= 32);
  if (n_fds > 0)
    {
      struct cmsghdr *cmsg;

      message.msg_control = control.space;
      message.msg_controllen = CMSG_SPACE (n_fds * sizeof (int));
      cmsg = CMSG_FIRSTHDR (&message);
      cmsg->cmsg_level = SOL_SOCKET;
      cmsg->cmsg_type = SCM_RIGHTS;
      cmsg->cmsg_len = CMSG_LEN (n_fds * sizeof (int));
      memcpy (CMSG_DATA (cmsg), fds, n_fds * sizeof (int));
    }

  if (sendmsg (channel, &message, MSG_NOSIGNAL) != 1)
    _exit (0);
  write_all ((guint8 *) header + 1, sizeof header - 1);
}

/* A memfd of @size bytes, sealed against every change if @seal. */
static int
memfd_new (gsize    size,
           gboolean seal)
{
  int fd = memfd_create ("hostile", MFD_CLOEXEC | MFD_ALLOW_SEALING);

  g_assert (fd >= 0);
  g_assert (ftruncate (fd, size) == 0);
  if (seal)
    g_assert (fcntl (fd, F_ADD_SEALS,
                     F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) == 0);
  return fd;
}

/* The size that memfd frames of the misbehaviours announce. */
#define MEMFD_FRAME_SIZE 4096

/* Does what @how says instead of answering task @index. Returns
 * whether the batch goes on; most misbehaviours never return. */
static gboolean
misbehave (guint32     index,
           const char *how)
{
  if (g_str_equal (how, "garbage"))
    write_all ("this is not a frame of the pmap protocol", 40);
  else if (g_str_equal (how, "magic"))
    {
      g_autoptr(GBytes) bytes = message_new (RESULT, results_body (index,
                                                                    g_variant_new_int64 (0)));

      write_header (0x504d4150u, g_bytes_get_size (bytes));
      write_all (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
    }
  else if (g_str_equal (how, "oversized"))
    write_header (MAGIC, MAX_BODY + 1);
  else if (g_str_equal (how, "huge"))
    write_header (MAGIC, G_MAXUINT32);
  else if (g_str_equal (how, "truncated-header"))
    {
      guint32 magic = GUINT32_TO_LE (MAGIC);

      write_all (&magic, sizeof magic);
      write_all ("\x10", 1);
      exit (0);
    }
  else if (g_str_equal (how, "truncated"))
    {
      write_header (MAGIC, 100);
      write_all ("0123456789", 10);
      exit (0);
    }
  else if (g_str_equal (how, "empty"))
    write_header (MAGIC, 0);
  else if (g_str_equal (how, "not-normal"))
    send_not_normal (index);
  else if (g_str_equal (how, "bad-utf8"))
    send_bad_utf8 (index);
  else if (g_str_equal (how, "wrong-type"))
    send_message (RESULT, g_variant_new ("(ux)", index, (gint64) 42));
  else if (g_str_equal (how, "unknown-kind"))
    send_message (99, g_variant_new ("()"));
  else if (g_str_equal (how, "hello-again"))
    send_message (HELLO, g_variant_new ("(ux)", 2, (gint64) getpid ()));
  else if (g_str_equal (how, "wrong-index"))
    send_message (RESULT, results_body (index + 1000, g_variant_new_int64 (0)));
  else if (g_str_equal (how, "close-and-exit"))
    {
      close (channel);
      exit (7);
    }
  else if (g_str_equal (how, "close-and-stay"))
    {
      close (channel);
      /* Until the parent loses patience. */
      g_usleep (60 * G_USEC_PER_SEC);
      exit (0);
    }
  else if (g_str_equal (how, "empty-domain"))
    {
      /* An error ends the batch, as in a well-behaved worker. */
      send_message (ERROR, g_variant_new ("(usis)", index, "", -1, "an error of no domain"));
      return FALSE;
    }
  else if (g_str_equal (how, "fresh-domain"))
    {
      /* An error of a domain that nobody named before. */
      static guint n_domains;
      g_autofree char *domain = g_strdup_printf ("pmap.hostile.%d.%u", (int) getpid (),
                                                 n_domains++);

      send_message (ERROR, g_variant_new ("(usis)", index, domain, 5, "an error of a new domain"));
      return FALSE;
    }
  else if (g_str_equal (how, "memfd-short"))
    {
      /* Sealed, but shorter than its header says. */
      int fd = memfd_new (MEMFD_FRAME_SIZE / 2, TRUE);

      write_memfd_header (MEMFD_FRAME_SIZE, &fd, 1);
    }
  else if (g_str_equal (how, "memfd-unsealed"))
    {
      /* The right size, but the worker could still change it. */
      int fd = memfd_new (MEMFD_FRAME_SIZE, FALSE);

      write_memfd_header (MEMFD_FRAME_SIZE, &fd, 1);
    }
  else if (g_str_equal (how, "memfd-missing"))
    write_memfd_header (MEMFD_FRAME_SIZE, NULL, 0);
  else if (g_str_equal (how, "fd-flood"))
    {
      /* More descriptors than frames would ever need. */
      int fds[32];

      for (guint i = 0; i < G_N_ELEMENTS (fds); i++)
        fds[i] = memfd_new (MEMFD_FRAME_SIZE, TRUE);
      write_memfd_header (MEMFD_FRAME_SIZE, fds, G_N_ELEMENTS (fds));
    }
  else if (g_str_equal (how, "drip"))
    {
      /* A correct answer, one byte at a time. */
      g_autoptr(GBytes) bytes = message_new (RESULT, results_body (index,
                                                                    g_variant_new_string ("misbehave:drip")));
      guint32 header[2] = { GUINT32_TO_LE (MAGIC), GUINT32_TO_LE (g_bytes_get_size (bytes)) };
      const guint8 *data = g_bytes_get_data (bytes, NULL);

      for (gsize i = 0; i < sizeof header; i++)
        {
          write_all ((guint8 *) header + i, 1);
          g_usleep (2000);
        }
      for (gsize i = 0; i < g_bytes_get_size (bytes); i++)
        {
          write_all (data + i, 1);
          g_usleep (2000);
        }
      return TRUE;
    }
  else
    g_error ("unknown misbehaviour “%s”", how);

  wait_for_the_end ();
}

int
main (int   argc,
      char *argv[])
{
  const char *fd_text = g_getenv ("PMAP_WORKER_FD");

  if (fd_text == NULL)
    g_error ("PMAP_WORKER_FD is not set");
  channel = atoi (fd_text);

  send_hello ();

  for (;;)
    {
      g_autoptr(GVariant) body = NULL;
      g_autoptr(GVariant) inputs = NULL;
      guint32 kind, first;
      gsize n_inputs;

      body = receive_message (&kind);
      if (kind == QUIT)
        return 0;
      g_assert_cmpuint (kind, ==, BATCH);

      g_variant_get (body, "(@(sv)&suv@a(uayt))", NULL, NULL, &first, &inputs, NULL);
      n_inputs = g_variant_n_children (inputs);

      for (gsize i = 0; i < n_inputs; i++)
        {
          g_autoptr(GVariant) input = g_variant_get_child_value (inputs, i);

          /* Inputs of mixed types come boxed in an av. */
          if (g_variant_is_of_type (inputs, G_VARIANT_TYPE ("av")))
            {
              g_autoptr(GVariant) boxed = g_steal_pointer (&input);

              input = g_variant_get_variant (boxed);
            }
          if (g_variant_is_of_type (input, G_VARIANT_TYPE_STRING) &&
              g_str_has_prefix (g_variant_get_string (input, NULL), "misbehave:"))
            {
              if (misbehave (first + i, g_variant_get_string (input, NULL) + strlen ("misbehave:")))
                continue;
              break;
            }

          send_message (RESULT, results_body ((guint32) (first + i), input));
        }
    }
}
