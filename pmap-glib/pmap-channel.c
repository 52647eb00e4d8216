/* pmap-channel.c: a channel's state, and its writing half
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

#include "pmap-channel-state-private.h"
#include "pmap-error.h"
#include "pmap-memfd-private.h"

PmapChannel *
pmap_channel_new (int fd)
{
  PmapChannel *self = g_new0 (PmapChannel, 1);

  self->fd = fd;
  self->arena_fd = -1;
  self->memfd_threshold = PMAP_PROTOCOL_MEMFD_THRESHOLD;
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

void
pmap_channel_set_memfd_threshold (PmapChannel *self,
                                  guint64      threshold)
{
  self->memfd_threshold = threshold;
}

/* Sets @error from errno, for an operation on the channel that @what
 * names; returns FALSE. */
gboolean
pmap_channel_set_io_error (GError     **error,
                           const char  *what)
{
  int saved_errno = errno;

  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
               "Could not %s the worker channel: %s", what,
               g_strerror (saved_errno));
  return FALSE;
}

/* Waits a moment for room in the socket, after a send found none.
 * Returns %FALSE, with @error set, when the abort function set with
 * pmap_channel_set_abort() says to give up: a peer that stopped reading
 * must not hold the writer for ever. */
static gboolean
wait_for_room (PmapChannel  *self,
               GError      **error)
{
  struct pollfd pfd = { self->fd, POLLOUT, 0 };

  if (poll (&pfd, 1, ABORT_POLL_INTERVAL_MS) == 0 &&
      self->abort_func != NULL && self->abort_func (self->abort_data))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                           "The send was abandoned");
      return FALSE;
    }

  return TRUE;
}

/* Writes everything, waiting for room as long as the abort function
 * lets it. */
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
          if (!wait_for_room (self, error))
            return FALSE;
          continue;
        }
      if (n < 0)
        return pmap_channel_set_io_error (error, "write to");

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

/* Writes @size bytes, the first of them with the descriptor @fd
 * (SCM_RIGHTS), which stays ours. */
static gboolean
write_with_fd (PmapChannel   *self,
               gconstpointer  data,
               gsize          size,
               int            fd,
               GError       **error)
{
  union {
    struct cmsghdr header;
    char space[CMSG_SPACE (sizeof (int))];
  } control;
  struct iovec vector = { (gpointer) data, size };
  struct msghdr message = {
    .msg_iov = &vector,
    .msg_iovlen = 1,
    .msg_control = control.space,
    .msg_controllen = sizeof control.space,
  };
  struct cmsghdr *cmsg;

  memset (&control, 0, sizeof control);
  cmsg = CMSG_FIRSTHDR (&message);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (cmsg), &fd, sizeof (int));

  for (;;)
    {
      ssize_t n = sendmsg (self->fd, &message, MSG_NOSIGNAL | MSG_DONTWAIT);

      if (n < 0 && errno == EINTR)
        continue;
      /* Nothing went, the descriptor neither. */
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        {
          if (!wait_for_room (self, error))
            return FALSE;
          continue;
        }
      if (n < 0)
        return pmap_channel_set_io_error (error, "write to");

      /* The descriptor went with the first byte; the rest follows without
       * it. */
      if ((gsize) n < size)
        {
          struct iovec rest = { (guint8 *) data + n, size - n };

          return write_vectors (self, &rest, 1, error);
        }
      return TRUE;
    }
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
  sent = write_with_fd (self, header, sizeof header, fd, error);

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
                   "worker protocol allows (%u bytes); %s",
                   frame_size, PMAP_PROTOCOL_MAX_BODY,
                   kind == PMAP_MESSAGE_RESULTS
                     ? "return less from a task, or write a large result to a file "
                       "and return its path"
                     : "split the input");
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

  if (frame_size >= MAX (self->memfd_threshold, PMAP_PROTOCOL_MIN_MEMFD_THRESHOLD))
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


/* Sends a message with the descriptor @fd, which stays ours: the frame
 * goes out at once, through the socket whatever its size (the messages
 * that carry a descriptor are small), the descriptor with its first
 * byte. */
gboolean
pmap_channel_send_with_fd (PmapChannel      *self,
                           PmapMessageKind   kind,
                           GVariant         *body,
                           int               fd,
                           GError          **error)
{
  g_autoptr(GVariant) owned = g_variant_ref_sink (body);
  g_autoptr(GVariant) message = NULL;
  g_autofree guint8 *frame = NULL;
  gsize size;

  g_assert (g_variant_is_of_type (owned, pmap_message_body_type (kind)));

  message = g_variant_ref_sink (g_variant_new ("(uv)", (guint32) kind, owned));
  size = g_variant_get_size (message);

  frame = g_malloc (PMAP_PROTOCOL_HEADER_SIZE + size);
  ((guint32 *) frame)[0] = GUINT32_TO_LE (PMAP_PROTOCOL_MAGIC);
  ((guint32 *) frame)[1] = GUINT32_TO_LE ((guint32) size);
  g_variant_store (message, frame + PMAP_PROTOCOL_HEADER_SIZE);

  return pmap_channel_flush (self, error) &&
         write_with_fd (self, frame, PMAP_PROTOCOL_HEADER_SIZE + size, fd, error);
}
