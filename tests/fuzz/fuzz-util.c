/* fuzz-util.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <poll.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz-util.h"
#include "pmap-memfd-private.h"

/* More than the 16 that a channel keeps ahead of their frames. */
#define MAX_FDS 32

/* pmap-function-ref.c calls this instead of dl_iterate_phdr() in the fuzz
 * targets (see meson.build): no loaded object matches a build-id, so an
 * "address" reference is decoded and looked up, then refused, rather than
 * run at whatever offset the input names, which a worker would do for its
 * parent on purpose. */
int
pmap_fuzz_dl_iterate_phdr (int  (*callback) (struct dl_phdr_info *, size_t, void *),
                           void  *data)
{
  return 0;
}

static void
drop_print (const char *text)
{
}

void
pmap_fuzz_init (void)
{
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  g_set_printerr_handler (drop_print);
}

guint
pmap_fuzz_count_fds (void)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/fd", 0, NULL);
  guint n = 0;

  g_assert (dir != NULL);
  while (g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

typedef struct
{
  GByteArray *data;
  int         fds[MAX_FDS];
  guint       n_fds;
} Chunk;

struct _PmapFuzzPeer
{
  int        fd;
  GPtrArray *chunks;
  GThread   *thread;
};

static void
chunk_free (gpointer data)
{
  Chunk *chunk = data;

  for (guint i = 0; i < chunk->n_fds; i++)
    close (chunk->fds[i]);
  g_byte_array_unref (chunk->data);
  g_free (chunk);
}

static int
new_memfd (const guint8 *data,
           gsize         size,
           guint8        tag)
{
  int fd = memfd_create ("pmap-fuzz", MFD_CLOEXEC | MFD_ALLOW_SEALING);

  g_assert (fd >= 0);
  g_assert (ftruncate (fd, size + ((tag & PMAP_FUZZ_LONGER) ? 4096 : 0)) == 0);
  g_assert (pwrite (fd, data, size, 0) == (ssize_t) size);
  if (tag & PMAP_FUZZ_SEALED)
    g_assert (pmap_memfd_seal (fd, NULL));

  return fd;
}

static int
new_pipe (void)
{
  int ends[2];

  g_assert (pipe2 (ends, O_CLOEXEC) == 0);
  close (ends[1]);
  return ends[0];
}

/* Splits the records into chunks of the stream, each sent with the
 * descriptors that came before it. */
static void
parse_records (PmapFuzzPeer *self,
               const guint8 *data,
               gsize         size)
{
  Chunk *chunk = NULL;
  int pending[MAX_FDS];
  guint n_pending = 0, n_fds = 0;

  while (size > 0 && (data[0] & 3) != PMAP_FUZZ_END)
    {
      guint8 tag = data[0];
      gsize length = size >= 3 ? (gsize) data[1] | (gsize) data[2] << 8 : 0;
      gsize skip = MIN (size, 3);

      data += skip;
      size -= skip;
      length = MIN (length, size);

      if ((tag & 3) == PMAP_FUZZ_DATA && length > 0)
        {
          if (chunk == NULL || n_pending > 0)
            {
              chunk = g_new0 (Chunk, 1);
              chunk->data = g_byte_array_new ();
              memcpy (chunk->fds, pending, n_pending * sizeof (int));
              chunk->n_fds = n_pending;
              n_pending = 0;
              g_ptr_array_add (self->chunks, chunk);
            }
          g_byte_array_append (chunk->data, data, length);
        }
      else if ((tag & 3) != PMAP_FUZZ_DATA && n_fds < MAX_FDS)
        {
          pending[n_pending++] = (tag & 3) == PMAP_FUZZ_MEMFD ?
                                 new_memfd (data, length, tag) : new_pipe ();
          n_fds++;
        }

      data += length;
      size -= length;
    }

  while (n_pending > 0)
    close (pending[--n_pending]);
}

/* Sends the chunks while it reads what comes, so that neither side waits
 * for the other to read, then reads until the channel's end closes. */
static gpointer
run_peer (gpointer data)
{
  PmapFuzzPeer *self = data;
  guint8 sink[16 * 1024];
  gboolean writing = TRUE;
  guint next = 0;
  gsize offset = 0;

  for (;;)
    {
      struct pollfd pfd = { self->fd, POLLIN, 0 };

      if (writing && next == self->chunks->len)
        {
          shutdown (self->fd, SHUT_WR);
          writing = FALSE;
        }
      if (writing)
        pfd.events |= POLLOUT;

      if (poll (&pfd, 1, -1) < 0)
        {
          g_assert (errno == EINTR);
          continue;
        }

      if (pfd.revents & (POLLIN | POLLHUP | POLLERR))
        {
          ssize_t n = recv (self->fd, sink, sizeof sink, MSG_DONTWAIT);

          if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
            break;
        }

      if (writing && (pfd.revents & POLLOUT))
        {
          Chunk *chunk = g_ptr_array_index (self->chunks, next);
          union {
            struct cmsghdr header;
            char space[CMSG_SPACE (sizeof (int) * MAX_FDS)];
          } control;
          struct iovec vector = { chunk->data->data + offset, chunk->data->len - offset };
          struct msghdr message = { .msg_iov = &vector, .msg_iovlen = 1 };
          ssize_t n;

          if (offset == 0 && chunk->n_fds > 0)
            {
              struct cmsghdr *cmsg;

              memset (&control, 0, sizeof control);
              message.msg_control = control.space;
              message.msg_controllen = CMSG_SPACE (sizeof (int) * chunk->n_fds);
              cmsg = CMSG_FIRSTHDR (&message);
              cmsg->cmsg_level = SOL_SOCKET;
              cmsg->cmsg_type = SCM_RIGHTS;
              cmsg->cmsg_len = CMSG_LEN (sizeof (int) * chunk->n_fds);
              memcpy (CMSG_DATA (cmsg), chunk->fds, sizeof (int) * chunk->n_fds);
            }

          n = sendmsg (self->fd, &message, MSG_NOSIGNAL | MSG_DONTWAIT);
          if (n < 0 && errno != EAGAIN && errno != EINTR)
            writing = FALSE;  /* the channel's end closed: read its end */
          else if (n > 0 && (offset += n) == chunk->data->len)
            {
              next++;
              offset = 0;
            }
        }
    }

  return NULL;
}

PmapFuzzPeer *
pmap_fuzz_peer_new (const guint8 *data,
                    gsize         size,
                    int          *channel_fd)
{
  PmapFuzzPeer *self = g_new0 (PmapFuzzPeer, 1);
  int ends[2];

  g_assert (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) == 0);
  *channel_fd = ends[0];
  self->fd = ends[1];
  self->chunks = g_ptr_array_new_with_free_func (chunk_free);
  parse_records (self, data, size);
  self->thread = g_thread_new ("pmap-fuzz-peer", run_peer, self);

  return self;
}

void
pmap_fuzz_peer_free (PmapFuzzPeer *self)
{
  g_thread_join (self->thread);
  close (self->fd);
  g_ptr_array_unref (self->chunks);
  g_free (self);
}

void
pmap_fuzz_add_record (GByteArray *records,
                      guint8      tag,
                      const void *data,
                      gsize       size)
{
  guint8 head[3] = { tag, size & 0xff, size >> 8 };

  g_assert (size <= G_MAXUINT16);
  g_byte_array_append (records, head, sizeof head);
  g_byte_array_append (records, data, size);
}
