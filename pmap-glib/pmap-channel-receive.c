/* pmap-channel-receive.c: the reading half of a channel
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Reads go through a buffer of BUFFER_SIZE, so that many small messages
 * cost few system calls; a frame larger than that is read straight into
 * its own allocation, and a memfd frame is mapped, not read.
 */

#include "config.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gio/gio.h>

#include "pmap-channel-state-private.h"
#include "pmap-error.h"
#include "pmap-memfd-private.h"

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
              pmap_channel_set_io_error (error, "wait for");
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
          pmap_channel_set_io_error (error, "read");
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

int
pmap_channel_take_fd (PmapChannel *self)
{
  return GPOINTER_TO_INT (g_queue_pop_head (&self->fds)) - 1;
}

/* Maps the memfd that came with a header announcing @size bytes. */
static GBytes *
receive_memfd_frame (PmapChannel  *self,
                     guint32       size,
                     gboolean      strict,
                     GError      **error)
{
  int fd = pmap_channel_take_fd (self);
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
