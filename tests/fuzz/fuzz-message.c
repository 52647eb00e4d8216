/* fuzz-message.c: the parent's checks of a worker's messages
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The input is the task that the parent expects an answer for next and how
 * many tasks of the batch are left, two little-endian 32-bit numbers, then
 * a frame's body as a worker sends it. The body goes through what the
 * parent does with it: pmap_protocol_decode(), strict; the checks of a
 * HELLO and of an answer to a batch; pmap_protocol_unpack() of every value
 * of a RESULTS, whose packed arrays come as the worker chose; the GError
 * rebuilt from an ERROR of a known domain.
 */

#include "config.h"

#include <string.h>

#include <gio/gio.h>

#include "fuzz-util.h"
#include "pmap-error.h"
#include "pmap-protocol-private.h"

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  pmap_fuzz_init ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(GBytes) frame = NULL;
  g_autoptr(GVariant) body = NULL;
  g_autoptr(GVariant) values = NULL;
  g_autoptr(GError) error = NULL;
  guint32 next, n_left;
  PmapMessageKind kind;
  gint64 pid;

  if (size < 8)
    return 0;

  memcpy (&next, data, 4);
  memcpy (&n_left, data + 4, 4);
  next = GUINT32_FROM_LE (next);
  n_left = GUINT32_FROM_LE (n_left);

  /* Copied to memory of its own, aligned as the channel's, and of its
   * exact size, so that a read past its end is caught. */
  frame = g_bytes_new (data + 8, size - 8);
  body = pmap_protocol_decode (frame, TRUE, &kind, &error);
  if (body == NULL)
    {
      g_assert (g_error_matches (error, PMAP_ERROR, PMAP_ERROR_PROTOCOL));
      return 0;
    }
  g_assert (g_variant_is_of_type (body, pmap_message_body_type (kind)));

  if (!pmap_protocol_check_hello (body, kind, &pid, &error))
    g_clear_error (&error);

  if (!pmap_protocol_check_answer (body, kind, next, n_left, &values, &error))
    {
      g_assert (g_error_matches (error, PMAP_ERROR, PMAP_ERROR_PROTOCOL));
      g_assert (values == NULL);
    }
  else if (values != NULL)
    {
      gsize n_values = g_variant_n_children (values);

      g_assert (n_values > 0 && n_values <= n_left);
      for (gsize i = 0; i < n_values; i++)
        {
          g_autoptr(GVariant) value = pmap_protocol_unpack (values, i);

          /* What a caller reads first of a result. */
          g_assert (g_variant_is_normal_form (value));
          g_assert (g_variant_get_size (value) == 0 || g_variant_get_data (value) != NULL);
        }
    }
  else
    {
      const char *domain;

      g_assert (kind == PMAP_MESSAGE_ERROR);

      /* The parent interns an error's domain as a quark, for good, and
       * GLib lets go of its quark table's older arrays as it grows: a
       * worker that sends ever new domains grows the parent, a known
       * limit (see docs/reliability.md), which a long run would report
       * as a leak. So only the domains that exist here already. */
      g_variant_get_child (body, 1, "&s", &domain);
      if (g_quark_try_string (domain) != 0)
        {
          g_autoptr(GError) answer = pmap_protocol_answer_error (body);

          g_assert (answer != NULL && answer->message != NULL);
        }
    }

  return 0;
}
