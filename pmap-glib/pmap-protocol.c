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

#include <string.h>

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
      return G_VARIANT_TYPE ("((sv)suva(uayt))");
    case PMAP_MESSAGE_RESULTS:
      return G_VARIANT_TYPE ("(uv)");
    case PMAP_MESSAGE_ERROR:
      return G_VARIANT_TYPE ("(usis)");
    case PMAP_MESSAGE_QUIT:
      return G_VARIANT_TYPE_UNIT;
    case PMAP_MESSAGE_SHARE:
      return G_VARIANT_TYPE ("(tstt)");
    case PMAP_MESSAGE_FORGET:
      return G_VARIANT_TYPE ("(at)");
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

/* A worker's first message must be a HELLO of this version of the protocol.
 * Sets *@pid to the process id that it names, whatever its version. */
gboolean
pmap_protocol_check_hello (GVariant         *body,
                           PmapMessageKind   kind,
                           gint64           *pid,
                           GError          **error)
{
  guint32 version;

  if (kind != PMAP_MESSAGE_HELLO)
    {
      g_set_error (error, PMAP_ERROR, PMAP_ERROR_PROTOCOL,
                   "its first message is of kind %u, not a hello", kind);
      return FALSE;
    }

  g_variant_get (body, "(ux)", &version, pid);
  if (version != PMAP_PROTOCOL_VERSION)
    {
      g_set_error (error, PMAP_ERROR, PMAP_ERROR_PROTOCOL,
                   "it speaks version %u of the protocol, not version %u; "
                   "the worker and the library come from different builds",
                   version, PMAP_PROTOCOL_VERSION);
      return FALSE;
    }

  return TRUE;
}

/* An answer to a batch, while task @next is the first one not answered and
 * @n_left tasks of the batch are left, must be a RESULTS or an ERROR for
 * task @next, and a RESULTS must hold an array of at least one and at most
 * @n_left values. Sets *@values to that array, or to NULL for an ERROR. */
gboolean
pmap_protocol_check_answer (GVariant         *body,
                            PmapMessageKind   kind,
                            guint             next,
                            guint             n_left,
                            GVariant        **values,
                            GError          **error)
{
  g_autoptr(GVariant) array = NULL;
  guint32 answered;
  gsize n_values;

  *values = NULL;

  if (kind != PMAP_MESSAGE_RESULTS && kind != PMAP_MESSAGE_ERROR)
    {
      g_set_error (error, PMAP_ERROR, PMAP_ERROR_PROTOCOL,
                   "it sent a message of kind %u in answer to a batch", kind);
      return FALSE;
    }

  g_variant_get_child (body, 0, "u", &answered);
  if (answered != next)
    {
      g_set_error (error, PMAP_ERROR, PMAP_ERROR_PROTOCOL,
                   "it answered for task %u while task %u was next",
                   answered, next);
      return FALSE;
    }

  if (kind == PMAP_MESSAGE_ERROR)
    return TRUE;

  g_variant_get_child (body, 1, "v", &array);
  n_values = g_variant_is_of_type (array, G_VARIANT_TYPE_ARRAY) ?
             g_variant_n_children (array) : 0;
  if (n_values == 0 || n_values > n_left)
    {
      g_set_error (error, PMAP_ERROR, PMAP_ERROR_PROTOCOL,
                   "it sent %" G_GSIZE_FORMAT " results while %u tasks "
                   "of its batch were left", n_values, n_left);
      return FALSE;
    }

  *values = g_steal_pointer (&array);
  return TRUE;
}

/* How many error domains that this process did not know yet workers may
 * make it intern: quarks are never freed, and a hostile worker naming a
 * new domain in each ERROR would grow the parent for ever. */
#define MAX_NEW_ERROR_DOMAINS 256

/* The error that an ERROR carries, with its domain, code and message; an
 * error of a domain past the ones that workers may add is a
 * PMAP_ERROR_FAILED that names its domain and code in its message. */
GError *
pmap_protocol_answer_error (GVariant *body)
{
  static gint n_new_domains;
  const char *domain, *message;
  GQuark quark;
  gint32 code;

  g_variant_get (body, "(u&si&s)", NULL, &domain, &code, &message);

  quark = g_quark_try_string (domain);
  if (quark == 0 && g_atomic_int_add (&n_new_domains, 1) < MAX_NEW_ERROR_DOMAINS)
    quark = g_quark_from_string (domain);
  if (quark == 0)
    return g_error_new (PMAP_ERROR, PMAP_ERROR_FAILED, "%s (error %d of %s)",
                        message, code, domain);

  return g_error_new_literal (quark, code, message);
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

/* Packs values into one array for a message, as they come: values of one
 * fixed-size type travel end to end as an array of that type, which costs
 * a copy of their data and nothing per value at either end; others as an
 * av. The packer keeps no reference on the values of the first kind, so
 * that their producer can free each at once. */
struct _PmapPacker
{
  guint       n_values;

  /* Values of one fixed-size type, that of @model, whose data @data
   * holds end to end, @size bytes each, in @allocated bytes; or NULL, and
   * the values in @boxed. */
  GVariant           *model;
  const GVariantType *type;
  gsize               size;
  guint8             *data;
  gsize               allocated;

  GPtrArray  *boxed;
};

PmapPacker *
pmap_packer_new (void)
{
  PmapPacker *self = g_new0 (PmapPacker, 1);

  self->boxed = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);

  return self;
}

void
pmap_packer_free (PmapPacker *self)
{
  g_clear_pointer (&self->model, g_variant_unref);
  g_free (self->data);
  g_ptr_array_unref (self->boxed);
  g_free (self);
}

guint
pmap_packer_get_n_values (PmapPacker *self)
{
  return self->n_values;
}

/* The values packed end to end so far, as an array; the packer is left
 * with none of them. */
static GVariant *
take_fixed_array (PmapPacker *self)
{
  g_autoptr(GVariantType) array_type = g_variant_type_new_array (self->type);
  gsize size = self->n_values * self->size;
  guint8 *data = g_steal_pointer (&self->data);

  self->allocated = 0;
  g_clear_pointer (&self->model, g_variant_unref);

  return g_variant_new_from_data (array_type, data, size, FALSE, g_free, data);
}

static void
add_boxed (PmapPacker *self,
           GVariant   *value)
{
  g_ptr_array_add (self->boxed, g_variant_ref_sink (g_variant_new_variant (value)));
}

/* Adds @value, which the packer does not take: it must not be floating. */
void
pmap_packer_add (PmapPacker *self,
                 GVariant   *value)
{
  const GVariantType *type = g_variant_get_type (value);

  g_assert (!g_variant_is_floating (value));

  /* Type infos are interned: the same type is most often the same
   * pointer. */
  if (self->model != NULL && type != self->type &&
      !g_variant_type_equal (type, self->type))
    {
      /* Values of another type: all go boxed. */
      g_autoptr(GVariant) array = g_variant_ref_sink (take_fixed_array (self));

      for (guint i = 0; i < self->n_values; i++)
        {
          g_autoptr(GVariant) packed = g_variant_get_child_value (array, i);

          add_boxed (self, packed);
        }
    }
  else if (self->n_values == 0 && has_fixed_size (value))
    {
      self->model = g_variant_ref (value);
      self->type = type;
      self->size = g_variant_get_size (value);
    }

  if (self->model != NULL)
    {
      gsize offset = self->n_values * self->size;

      if (offset + self->size > self->allocated)
        {
          self->allocated = MAX (2 * self->allocated, 64 * self->size);
          self->data = g_realloc (self->data, self->allocated);
        }

      /* g_variant_store() writes a value that g_variant_new() built only
       * once its size is known, and GLib 2.74 does not compute it there:
       * an unsized tuple fails its assertion. Each value lands at a
       * multiple of its size, and so of its alignment. */
      g_assert (g_variant_get_size (value) == self->size);
      g_variant_store (value, self->data + offset);
    }
  else
    {
      add_boxed (self, value);
    }

  self->n_values++;
}

/* Returns the array of the values added since the last call, floating, and
 * empties the packer. */
GVariant *
pmap_packer_end (PmapPacker *self)
{
  GVariant *array;

  if (self->model != NULL)
    array = take_fixed_array (self);
  else
    array = g_variant_new_array (G_VARIANT_TYPE_VARIANT,
                                 (GVariant **) self->boxed->pdata, self->boxed->len);

  g_ptr_array_set_size (self->boxed, 0);
  self->n_values = 0;

  return array;
}

/* The @index-th value of an array that a PmapPacker made. */
GVariant *
pmap_protocol_unpack (GVariant *values,
                      gsize     index)
{
  GVariant *child = g_variant_get_child_value (values, index);

  /* Not g_variant_is_of_type (values, "av"), which parses both types:
   * this runs for every value. */
  if (strcmp (g_variant_get_type_string (values), "av") == 0)
    {
      GVariant *value = g_variant_get_variant (child);

      g_variant_unref (child);
      return value;
    }

  return child;
}
