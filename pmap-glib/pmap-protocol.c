/* pmap-protocol.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A frame is an 8-byte header, the magic and the body's length as
 * little-endian 32-bit numbers, then the body: a GVariant of type (uv), the
 * message kind and its body, in normal form. What a worker sends is checked
 * completely before anything reads it; see docs/protocol.md. Frames are
 * read and written by pmap-channel.c.
 */

#include "config.h"

#include <gio/gio.h>

#include "pmap-error.h"
#include "pmap-protocol-private.h"

const GVariantType *
pmap_message_body_type (PmapMessageKind kind)
{
  switch (kind)
    {
    case PMAP_MESSAGE_HELLO:
      return G_VARIANT_TYPE ("(ux)");
    case PMAP_MESSAGE_BATCH:
      return G_VARIANT_TYPE ("((sv)suv)");
    case PMAP_MESSAGE_RESULTS:
      return G_VARIANT_TYPE ("(uv)");
    case PMAP_MESSAGE_ERROR:
      return G_VARIANT_TYPE ("(usis)");
    case PMAP_MESSAGE_QUIT:
      return G_VARIANT_TYPE_UNIT;
    default:
      return NULL;
    }
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

/* Whether values of @value's type all have its size: then an array of them
 * is their data end to end, with no framing offsets. */
static gboolean
has_fixed_size (GVariant *value)
{
  g_autoptr(GVariant) one = g_variant_ref_sink (g_variant_new_array (NULL, &value, 1));

  return g_variant_get_size (one) == g_variant_get_size (value) &&
         g_variant_get_size (value) > 0;
}

/* Packs @n values into one array for a message: values of one fixed-size
 * type travel end to end as an array of that type, which costs a copy of
 * their data and nothing per value at either end; others as an av. */
GVariant *
pmap_protocol_pack (GVariant * const *values,
                    gsize             n)
{
  const GVariantType *type;
  gsize size;
  g_autofree GVariant **boxed = NULL;

  if (n == 0)
    return g_variant_new_array (G_VARIANT_TYPE_VARIANT, NULL, 0);

  type = g_variant_get_type (values[0]);
  size = g_variant_get_size (values[0]);

  if (has_fixed_size (values[0]))
    {
      gsize i;

      for (i = 1; i < n; i++)
        if (!g_variant_type_equal (g_variant_get_type (values[i]), type))
          break;

      if (i == n)
        {
          guint8 *data = g_malloc (n * size);
          g_autoptr(GVariantType) array_type = g_variant_type_new_array (type);

          for (i = 0; i < n; i++)
            {
              /* g_variant_store() writes a value that g_variant_new()
               * built only once its size is known, and GLib 2.74 does not
               * compute it there: an unsized tuple fails its assertion. */
              gsize value_size = g_variant_get_size (values[i]);

              g_assert (value_size == size);
              g_variant_store (values[i], data + i * size);
            }

          return g_variant_new_from_data (array_type, data, n * size, FALSE,
                                          g_free, data);
        }
    }

  boxed = g_new (GVariant *, n);
  for (gsize i = 0; i < n; i++)
    boxed[i] = g_variant_new_variant (values[i]);

  return g_variant_new_array (G_VARIANT_TYPE_VARIANT, boxed, n);
}

/* The @index-th value of an array that pmap_protocol_pack() made. */
GVariant *
pmap_protocol_unpack (GVariant *values,
                      gsize     index)
{
  GVariant *child = g_variant_get_child_value (values, index);

  if (g_variant_is_of_type (values, G_VARIANT_TYPE ("av")))
    {
      GVariant *value = g_variant_get_variant (child);

      g_variant_unref (child);
      return value;
    }

  return child;
}
