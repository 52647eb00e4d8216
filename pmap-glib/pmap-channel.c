/* pmap-channel.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Small messages are gathered and large reads are few: a map of many tiny
 * tasks would otherwise cost a system call, and a wake-up of the other
 * process, per message. A message over BUFFER_SIZE skips the buffers: its
 * frame goes out with one writev() and its body is read straight into its
 * own allocation.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <gio/gio.h>

#include "pmap-channel-private.h"
#include "pmap-error.h"
#include "pmap-memfd-private.h"

#define BUFFER_SIZE (64 * 1024)

/* Descriptors received ahead of their frames; more means a broken peer. */
#define MAX_QUEUED_FDS 16

/* How long a blocked receive waits before it asks whether to give up. */
#define ABORT_POLL_INTERVAL_MS 20

struct _PmapChannel
{
  int         fd;

  GByteArray *out;

  guint8     *in;
  gsize       in_start;
  gsize       in_end;

  /* Descriptors that came with the data read so far, oldest first. */
  GQueue      fds;
  gboolean    too_many_fds;

  /* Asked while a write waits for room. */
  PmapAbortFunc abort_func;
  gpointer      abort_data;

  /* The parent's memfd for large messages, reused from one to the next so
   * that its pages are allocated once, but only while the worker no longer
   * maps it: a worker lets go of a batch once it has answered it, but a
   * task may keep an input, which must not change under it. */
  gboolean    reuse_memfd;
  int         peer_pid;
  int         arena_fd;
  guint8     *arena;
  gsize       arena_size;
};

PmapChannel *
pmap_channel_new (int fd)
{
  PmapChannel *self = g_new0 (PmapChannel, 1);

  self->fd = fd;
  self->arena_fd = -1;
  self->out = g_byte_array_sized_new (BUFFER_SIZE);
  self->in = g_malloc (BUFFER_SIZE);

  return self;
}

void
pmap_channel_free (PmapChannel *self)
{
  int fd;

  while ((fd = GPOINTER_TO_INT (g_queue_pop_head (&self->fds)) - 1) >= 0)
    close (fd);
  if (self->fd >= 0)
    close (self->fd);
  if (self->arena != NULL)
    munmap (self->arena, self->arena_size);
  if (self->arena_fd >= 0)
    close (self->arena_fd);
  g_byte_array_unref (self->out);
  g_free (self->in);
  g_free (self);
}

void
pmap_channel_reuse_memfd (PmapChannel *self,
                          int          peer_pid)
{
  self->reuse_memfd = TRUE;
  self->peer_pid = peer_pid;
}

static gboolean
set_io_error (GError     **error,
              const char  *what)
{
  int saved_errno = errno;

  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
               "Could not %s the worker channel: %s", what,
               g_strerror (saved_errno));
  return FALSE;
}

/* Writes everything, waiting for room as long as the abort function set
 * with pmap_channel_set_abort() lets it: a peer that stopped reading must
 * not hold the writer for ever. */
static gboolean
write_vectors (PmapChannel   *self,
               struct iovec  *vectors,
               int            n_vectors,
               GError       **error)
{
  while (n_vectors > 0)
    {
      struct msghdr message = { .msg_iov = vectors, .msg_iovlen = n_vectors };
      ssize_t n = sendmsg (self->fd, &message, MSG_NOSIGNAL | MSG_DONTWAIT);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        {
          struct pollfd pfd = { self->fd, POLLOUT, 0 };

          if (poll (&pfd, 1, ABORT_POLL_INTERVAL_MS) == 0 &&
              self->abort_func != NULL && self->abort_func (self->abort_data))
            {
              g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                   "The send was abandoned");
              return FALSE;
            }
          continue;
        }
      if (n < 0)
        return set_io_error (error, "write to");

      while (n_vectors > 0 && (gsize) n >= vectors->iov_len)
        {
          n -= vectors->iov_len;
          vectors++;
          n_vectors--;
        }
      if (n_vectors > 0)
        {
          vectors->iov_base = (guint8 *) vectors->iov_base + n;
          vectors->iov_len -= n;
        }
    }

  return TRUE;
}

void
pmap_channel_set_abort (PmapChannel   *self,
                        PmapAbortFunc  abort_func,
                        gpointer       abort_data)
{
  self->abort_func = abort_func;
  self->abort_data = abort_data;
}

gboolean
pmap_channel_flush (PmapChannel  *self,
                    GError      **error)
{
  struct iovec vector = { self->out->data, self->out->len };
  gboolean written;

  if (self->out->len == 0)
    return TRUE;

  /* Emptied after the write: G_DEBUG=gc-friendly clears what a GByteArray
   * lets go of. */
  written = write_vectors (self, &vector, 1, error);
  g_byte_array_set_size (self->out, 0);
  return written;
}

/* A memfd of at least @size bytes, mapped for writing at *@map: the reused
 * one, grown if need be, or a new one that is sealed once written. */
static int
memfd_for_frame (PmapChannel  *self,
                 gsize         size,
                 guint8      **map,
                 GError      **error)
{
  int fd;

  if (self->reuse_memfd && self->arena != NULL && self->arena_size >= size &&
      !pmap_memfd_is_mapped_by (self->arena_fd, self->peer_pid))
    {
      *map = self->arena;
      return self->arena_fd;
    }

  if (self->reuse_memfd && self->arena != NULL)
    {
      munmap (self->arena, self->arena_size);
      close (self->arena_fd);
      self->arena = NULL;
      self->arena_fd = -1;
    }

  fd = pmap_memfd_new (size, map, error);
  if (fd < 0)
    return -1;

  if (self->reuse_memfd)
    {
      self->arena_fd = fd;
      self->arena = *map;
      self->arena_size = size;
    }

  return fd;
}

/* Writes the frame body into a memfd and sends the frame's header with its
 * descriptor. The body's size is in the header: a reused memfd may be
 * larger. */
static gboolean
send_memfd_frame (PmapChannel      *self,
                  PmapMessageKind   kind,
                  GVariant         *body,
                  gsize             frame_size,
                  GError          **error)
{
  const char *type = g_variant_get_type_string (body);
  gsize body_size = g_variant_get_size (body);
  guint32 header[2];
  guint8 *map;
  int fd;
  gboolean sent;
  union {
    struct cmsghdr header;
    char space[CMSG_SPACE (sizeof (int))];
  } control;
  struct iovec vector = { header, sizeof header };
  struct msghdr message = {
    .msg_iov = &vector,
    .msg_iovlen = 1,
    .msg_control = control.space,
    .msg_controllen = sizeof control.space,
  };
  struct cmsghdr *cmsg;

  fd = memfd_for_frame (self, frame_size, &map, error);
  if (fd < 0)
    return FALSE;

  /* The same layout as a (uv), written in place: one copy of the body. */
  *(guint32 *) map = GUINT32_TO_LE ((guint32) kind);
  *(guint32 *) (map + 4) = 0;
  g_variant_store (body, map + 8);
  map[8 + body_size] = '\0';
  memcpy (map + 8 + body_size + 1, type, strlen (type));

  if (!self->reuse_memfd)
    {
      munmap (map, frame_size);
      if (!pmap_memfd_seal (fd, error))
        {
          close (fd);
          return FALSE;
        }
    }

  header[0] = GUINT32_TO_LE (PMAP_PROTOCOL_MAGIC_MEMFD);
  header[1] = GUINT32_TO_LE ((guint32) frame_size);

  memset (&control, 0, sizeof control);
  cmsg = CMSG_FIRSTHDR (&message);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (cmsg), &fd, sizeof (int));

  for (;;)
    {
      ssize_t n = sendmsg (self->fd, &message, MSG_NOSIGNAL);

      if (n < 0 && errno == EINTR)
        continue;

      /* The descriptor went with the first byte; the rest of the header
       * follows without it. */
      if (n > 0 && (gsize) n < sizeof header)
        {
          struct iovec rest = { (guint8 *) header + n, sizeof header - n };

          n = write_vectors (self, &rest, 1, error) ? (ssize_t) sizeof header : -2;
        }

      sent = n == (ssize_t) sizeof header;
      if (!sent && n == -1)
        set_io_error (error, "write to");
      break;
    }

  if (!self->reuse_memfd)
    close (fd);
  return sent;
}

/* A frame's body is the (uv) of the kind and the message body. Rather than
 * build that container, which would copy the body once more, the frame is
 * written in pieces: the kind, padding to the variant's 8-byte alignment,
 * the body's data, then a zero byte and the body's type, which is exactly
 * how GVariant serializes a (uv). */
gboolean
pmap_channel_send (PmapChannel      *self,
                   PmapMessageKind   kind,
                   GVariant         *body,
                   GError          **error)
{
  g_autoptr(GVariant) owned = g_variant_ref_sink (body);
  const char *type = g_variant_get_type_string (owned);
  gsize body_size = g_variant_get_size (owned);
  gsize type_size = strlen (type);
  gsize frame_size = 8 + body_size + 1 + type_size;
  guint32 head[4];
  struct iovec vectors[4];

  g_assert (g_variant_is_of_type (owned, pmap_message_body_type (kind)));

  if (frame_size > PMAP_PROTOCOL_MAX_BODY)
    {
      g_set_error (error, PMAP_ERROR, PMAP_ERROR_NOT_SERIALIZABLE,
                   "A message of %" G_GSIZE_FORMAT " bytes is larger than the "
                   "worker protocol allows (%u bytes); split the input",
                   frame_size, PMAP_PROTOCOL_MAX_BODY);
      return FALSE;
    }

  head[0] = GUINT32_TO_LE (PMAP_PROTOCOL_MAGIC);
  head[1] = GUINT32_TO_LE ((guint32) frame_size);
  head[2] = GUINT32_TO_LE ((guint32) kind);
  head[3] = 0;

  vectors[0] = (struct iovec) { head, sizeof head };
  vectors[1] = (struct iovec) { (gpointer) g_variant_get_data (owned), body_size };
  vectors[2] = (struct iovec) { (gpointer) "", 1 };
  vectors[3] = (struct iovec) { (gpointer) type, type_size };

  if (frame_size >= PMAP_PROTOCOL_MEMFD_THRESHOLD)
    return pmap_channel_flush (self, error) &&
           send_memfd_frame (self, kind, owned, frame_size, error);

  if (frame_size + PMAP_PROTOCOL_HEADER_SIZE > BUFFER_SIZE)
    return pmap_channel_flush (self, error) &&
           write_vectors (self, vectors, G_N_ELEMENTS (vectors), error);

  for (guint i = 0; i < G_N_ELEMENTS (vectors); i++)
    g_byte_array_append (self->out, vectors[i].iov_base, vectors[i].iov_len);

  if (self->out->len >= BUFFER_SIZE / 2)
    return pmap_channel_flush (self, error);

  return TRUE;
}

/* recv(), keeping the descriptors that come with the data. */
static gssize
receive_with_fds (PmapChannel *self,
                  guint8      *data,
                  gsize        size)
{
  union {
    struct cmsghdr header;
    char space[CMSG_SPACE (sizeof (int) * MAX_QUEUED_FDS)];
  } control;
  struct iovec vector = { data, size };
  struct msghdr message = {
    .msg_iov = &vector,
    .msg_iovlen = 1,
    .msg_control = control.space,
    .msg_controllen = sizeof control.space,
  };
  ssize_t n = recvmsg (self->fd, &message, MSG_CMSG_CLOEXEC);

  if (n < 0)
    return n;

  if (message.msg_flags & MSG_CTRUNC)
    self->too_many_fds = TRUE;

  for (struct cmsghdr *cmsg = CMSG_FIRSTHDR (&message);
       cmsg != NULL;
       cmsg = CMSG_NXTHDR (&message, cmsg))
    {
      if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS)
        {
          gsize n_fds = (cmsg->cmsg_len - CMSG_LEN (0)) / sizeof (int);

          for (gsize i = 0; i < n_fds; i++)
            {
              int fd;

              memcpy (&fd, CMSG_DATA (cmsg) + i * sizeof (int), sizeof (int));
              /* A peer that sends descriptors ahead of their frames could
               * fill our table: beyond the limit they are closed, and the
               * next receive fails. */
              if (self->fds.length >= MAX_QUEUED_FDS)
                {
                  close (fd);
                  self->too_many_fds = TRUE;
                  continue;
                }
              /* +1 so that descriptor 0 is not a NULL pointer. */
              g_queue_push_tail (&self->fds, GINT_TO_POINTER (fd + 1));
            }
        }
    }

  return n;
}

/* Reads what is available, up to @size bytes, waiting for at least one.
 * Returns 0 at the end of the stream, -1 with @error set on failure or
 * abort. */
static gssize
read_some (PmapChannel    *self,
           guint8         *data,
           gsize           size,
           PmapAbortFunc   abort_func,
           gpointer        abort_data,
           GError        **error)
{
  for (;;)
    {
      ssize_t n;

      if (abort_func != NULL)
        {
          struct pollfd pfd = { self->fd, POLLIN, 0 };
          int ready = poll (&pfd, 1, ABORT_POLL_INTERVAL_MS);

          if (ready < 0 && errno != EINTR)
            {
              set_io_error (error, "wait for");
              return -1;
            }
          if (ready <= 0)
            {
              if (abort_func (abort_data))
                {
                  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                       "The receive was abandoned");
                  return -1;
                }
              continue;
            }
        }

      n = receive_with_fds (self, data, size);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          set_io_error (error, "read");
          return -1;
        }

      return n;
    }
}

static gsize
buffered (PmapChannel *self)
{
  return self->in_end - self->in_start;
}

/* Makes at least @size bytes available in the input buffer, @size being
 * at most BUFFER_SIZE. Returns FALSE with @error set at the end of the
 * stream (G_IO_ERROR_CLOSED when nothing of a frame had come, else a
 * protocol error) or on failure. */
static gboolean
fill (PmapChannel    *self,
      gsize           size,
      PmapAbortFunc   abort_func,
      gpointer        abort_data,
      GError        **error)
{
  if (self->in_start + size > BUFFER_SIZE)
    {
      memmove (self->in, self->in + self->in_start, buffered (self));
      self->in_end -= self->in_start;
      self->in_start = 0;
    }

  while (buffered (self) < size)
    {
      gssize n = read_some (self, self->in + self->in_end,
                            BUFFER_SIZE - self->in_end,
                            abort_func, abort_data, error);

      if (n < 0)
        return FALSE;
      if (n == 0)
        {
          if (buffered (self) == 0)
            g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CLOSED,
                                 "The worker channel was closed");
          else
            g_set_error (error, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT,
                         "The channel closed in the middle of a frame, "
                         "after %" G_GSIZE_FORMAT " of its bytes",
                         buffered (self));
          return FALSE;
        }

      self->in_end += n;
    }

  return TRUE;
}

/* Maps the memfd that came with a header announcing @size bytes. */
static GBytes *
receive_memfd_frame (PmapChannel  *self,
                     guint32       size,
                     gboolean      strict,
                     GError      **error)
{
  int fd = GPOINTER_TO_INT (g_queue_pop_head (&self->fds)) - 1;
  GBytes *frame;

  if (fd < 0)
    {
      g_set_error_literal (error, PMAP_ERROR, PMAP_ERROR_PROTOCOL,
                           "A memfd frame came without its descriptor");
      return NULL;
    }

  frame = pmap_memfd_map (fd, size, strict, error);
  close (fd);
  return frame;
}

GVariant *
pmap_channel_receive (PmapChannel      *self,
                      gboolean          strict,
                      PmapAbortFunc     abort_func,
                      gpointer          abort_data,
                      PmapMessageKind  *kind,
                      GError          **error)
{
  g_autoptr(GBytes) frame = NULL;
  guint32 header[2];
  guint32 size;

  if (!pmap_channel_flush (self, error) ||
      !fill (self, PMAP_PROTOCOL_HEADER_SIZE, abort_func, abort_data, error))
    return NULL;

  memcpy (header, self->in + self->in_start, sizeof header);
  self->in_start += sizeof header;

  if (self->too_many_fds)
    {
      g_set_error (error, PMAP_ERROR, PMAP_ERROR_PROTOCOL,
                   "More than %d descriptors came ahead of their frames",
                   MAX_QUEUED_FDS);
      return NULL;
    }

  if (GUINT32_FROM_LE (header[0]) == PMAP_PROTOCOL_MAGIC_MEMFD)
    {
      frame = receive_memfd_frame (self, GUINT32_FROM_LE (header[1]), strict, error);
      if (frame == NULL)
        return NULL;
      return pmap_protocol_decode (frame, strict, kind, error);
    }

  if (GUINT32_FROM_LE (header[0]) != PMAP_PROTOCOL_MAGIC)
    {
      g_set_error (error, PMAP_ERROR, PMAP_ERROR_PROTOCOL,
                   "A frame starts with 0x%08x instead of the protocol's magic "
                   "number 0x%08x", GUINT32_FROM_LE (header[0]),
                   PMAP_PROTOCOL_MAGIC);
      return NULL;
    }

  size = GUINT32_FROM_LE (header[1]);
  if (size > PMAP_PROTOCOL_MAX_BODY)
    {
      g_set_error (error, PMAP_ERROR, PMAP_ERROR_PROTOCOL,
                   "A frame announces %u bytes, more than the %u that the "
                   "protocol allows", size, PMAP_PROTOCOL_MAX_BODY);
      return NULL;
    }

  if (size <= BUFFER_SIZE)
    {
      GError *local_error = NULL;

      if (!fill (self, size, abort_func, abort_data, &local_error))
        {
          if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CLOSED))
            {
              g_clear_error (&local_error);
              g_set_error (&local_error, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT,
                           "The channel closed after the header of a frame "
                           "of %u bytes", size);
            }
          g_propagate_error (error, local_error);
          return NULL;
        }

      frame = g_bytes_new (self->in + self->in_start, size);
      self->in_start += size;
    }
  else
    {
      /* Grown as the data comes, so that a header alone cannot make us
       * allocate the most the protocol allows. */
      gsize allocated = MIN ((gsize) size, MAX (2 * BUFFER_SIZE, buffered (self)));
      guint8 *body = g_malloc (allocated);
      gsize done = MIN (buffered (self), size);

      memcpy (body, self->in + self->in_start, done);
      self->in_start += done;

      while (done < size)
        {
          gssize n;

          if (done == allocated)
            {
              allocated = MIN ((gsize) size, 2 * allocated);
              body = g_realloc (body, allocated);
            }

          n = read_some (self, body + done, allocated - done,
                         abort_func, abort_data, error);

          if (n <= 0)
            {
              if (n == 0)
                g_set_error (error, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT,
                             "The channel closed after %" G_GSIZE_FORMAT " of "
                             "the %u bytes that a frame announced", done, size);
              g_free (body);
              return NULL;
            }
          done += n;
        }

      frame = g_bytes_new_take (body, size);
    }

  return pmap_protocol_decode (frame, strict, kind, error);
}

gboolean
pmap_channel_is_quiet (PmapChannel *self)
{
  struct pollfd pfd = { self->fd, POLLIN, 0 };

  return buffered (self) == 0 && poll (&pfd, 1, 0) == 0;
}
