/* pmap-protocol.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A frame is an 8-byte header, the magic and the body's length as
 * little-endian 32-bit numbers, then the body: a GVariant of type (uv), the
 * message kind and its body, in normal form. What a worker sends is checked
 * completely before anything reads it; see docs/protocol.md.
 */

#include "config.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gio/gio.h>

#include "pmap-error.h"
#include "pmap-protocol-private.h"

/* How long a blocked receive waits before it asks whether to give up. */
#define ABORT_POLL_INTERVAL_MS 20

const GVariantType *
pmap_message_body_type (PmapMessageKind kind)
{
  switch (kind)
    {
    case PMAP_MESSAGE_HELLO:
      return G_VARIANT_TYPE ("(ux)");
    case PMAP_MESSAGE_BATCH:
      return G_VARIANT_TYPE ("((sv)suav)");
    case PMAP_MESSAGE_RESULT:
      return G_VARIANT_TYPE ("(uv)");
    case PMAP_MESSAGE_ERROR:
      return G_VARIANT_TYPE ("(usis)");
    case PMAP_MESSAGE_QUIT:
      return G_VARIANT_TYPE_UNIT;
    default:
      return NULL;
    }
}

static gboolean
send_all (int            fd,
          const guint8  *data,
          gsize          size,
          GError       **error)
{
  while (size > 0)
    {
      ssize_t n = send (fd, data, size, MSG_NOSIGNAL);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved_errno = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                       "Could not send to the worker channel: %s",
                       g_strerror (saved_errno));
          return FALSE;
        }

      data += n;
      size -= n;
    }

  return TRUE;
}

gboolean
pmap_protocol_send (int               fd,
                    PmapMessageKind   kind,
                    GVariant         *body,
                    GError          **error)
{
  g_autoptr(GVariant) message = NULL;
  guint32 header[2];
  gsize size;

  g_assert (g_variant_is_of_type (body, pmap_message_body_type (kind)));

  message = g_variant_ref_sink (g_variant_new ("(u@v)", kind,
                                               g_variant_new_variant (body)));
  size = g_variant_get_size (message);
  if (size > PMAP_PROTOCOL_MAX_BODY)
    {
      g_set_error (error, PMAP_ERROR, PMAP_ERROR_NOT_SERIALIZABLE,
                   "A message of %" G_GSIZE_FORMAT " bytes is larger than the "
                   "worker protocol allows (%u bytes); split the input",
                   size, PMAP_PROTOCOL_MAX_BODY);
      return FALSE;
    }

  header[0] = GUINT32_TO_LE (PMAP_PROTOCOL_MAGIC);
  header[1] = GUINT32_TO_LE ((guint32) size);

  return send_all (fd, (const guint8 *) header, sizeof header, error) &&
         send_all (fd, g_variant_get_data (message), size, error);
}

/* Reads exactly @size bytes. Returns the number read, short only at the end
 * of the stream; -1 with @error set on failure or abort. */
static gssize
receive_all (int            fd,
             guint8        *data,
             gsize          size,
             PmapAbortFunc  abort_func,
             gpointer       abort_data,
             GError       **error)
{
  gsize done = 0;

  while (done < size)
    {
      ssize_t n;

      if (abort_func != NULL)
        {
          struct pollfd pfd = { fd, POLLIN, 0 };
          int ready = poll (&pfd, 1, ABORT_POLL_INTERVAL_MS);

          if (ready < 0 && errno != EINTR)
            {
              int saved_errno = errno;

              g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                           "Could not wait for the worker channel: %s",
                           g_strerror (saved_errno));
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

      n = recv (fd, data + done, size - done, 0);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved_errno = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                       "Could not read the worker channel: %s",
                       g_strerror (saved_errno));
          return -1;
        }
      if (n == 0)
        break;

      done += n;
    }

  return done;
}

/* @strict: whether to require normal form, as the parent does of what
 * workers send; a worker trusts its parent, but still never reads past its
 * data. */
GVariant *
pmap_protocol_decode (GBytes           *frame,
                      gboolean          strict,
                      PmapMessageKind  *kind,
                      GError          **error)
{
  g_autoptr(GVariant) message = NULL;
  g_autoptr(GVariant) boxed = NULL;
  const GVariantType *body_type;
  guint32 message_kind;

  message = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE ("(uv)"),
                                                          frame, FALSE));
  if (strict && !g_variant_is_normal_form (message))
    {
      g_set_error_literal (error, PMAP_ERROR, PMAP_ERROR_PROTOCOL,
                           "The message is not a GVariant of type (uv) in "
                           "normal form");
      return NULL;
    }

  g_variant_get (message, "(u@v)", &message_kind, &boxed);
  body_type = pmap_message_body_type (message_kind);
  if (body_type == NULL)
    {
      g_set_error (error, PMAP_ERROR, PMAP_ERROR_PROTOCOL,
                   "The message has the unknown kind %u", message_kind);
      return NULL;
    }

  if (kind != NULL)
    *kind = message_kind;

  {
    GVariant *body = g_variant_get_variant (boxed);

    if (!g_variant_is_of_type (body, body_type))
      {
        g_set_error (error, PMAP_ERROR, PMAP_ERROR_PROTOCOL,
                     "A message of kind %u has a body of type %s instead of %s",
                     message_kind, g_variant_get_type_string (body),
                     g_variant_type_peek_string (body_type));
        g_variant_unref (body);
        return NULL;
      }

    return body;
  }
}

/* Returns NULL with @error set: G_IO_ERROR_CLOSED at a clean end of the
 * stream, PMAP_ERROR_PROTOCOL for a broken frame, G_IO_ERROR_CANCELLED when
 * @abort_func gave up. */
GVariant *
pmap_protocol_receive (int               fd,
                       gboolean          strict,
                       PmapAbortFunc     abort_func,
                       gpointer          abort_data,
                       PmapMessageKind  *kind,
                       GError          **error)
{
  g_autoptr(GBytes) frame = NULL;
  guint32 header[2];
  guint32 size;
  guint8 *body;
  gssize n;

  n = receive_all (fd, (guint8 *) header, sizeof header, abort_func, abort_data, error);
  if (n < 0)
    return NULL;
  if (n == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CLOSED,
                           "The worker channel was closed");
      return NULL;
    }
  if (n < (gssize) sizeof header)
    {
      g_set_error (error, PMAP_ERROR, PMAP_ERROR_PROTOCOL,
                   "The channel closed after %" G_GSSIZE_FORMAT " bytes of an "
                   "8-byte frame header", n);
      return NULL;
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

  body = g_malloc (size);
  n = receive_all (fd, body, size, abort_func, abort_data, error);
  if (n < (gssize) size)
    {
      if (n >= 0)
        g_set_error (error, PMAP_ERROR, PMAP_ERROR_PROTOCOL,
                     "The channel closed after %" G_GSSIZE_FORMAT " of the %u "
                     "bytes that a frame announced", n, size);
      g_free (body);
      return NULL;
    }

  frame = g_bytes_new_take (body, size);
  return pmap_protocol_decode (frame, strict, kind, error);
}
