/* fuzz-seeds.c: writes the seed corpora of the fuzz targets
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   fuzz-seeds DIR
 *
 * writes DIR/fuzz-frame, DIR/fuzz-message and DIR/fuzz-batch: small valid
 * conversations, each message framed by the library's own sender,
 * pmap_channel_send(), in the input formats of the targets.
 */

#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "fuzz-util.h"
#include "pmap-channel-private.h"

typedef struct
{
  PmapMessageKind  kind;
  GVariant        *body;
} Message;

/* The frames that pmap_channel_send() writes for @messages. */
static GByteArray *
frames_of (const Message *messages,
           guint          n_messages)
{
  g_autoptr(PmapChannel) channel = NULL;
  GByteArray *frames = g_byte_array_new ();
  guint8 buffer[4096];
  ssize_t n;
  int ends[2];

  g_assert (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) == 0);
  channel = pmap_channel_new (ends[0]);
  for (guint i = 0; i < n_messages; i++)
    g_assert (pmap_channel_send (channel, messages[i].kind, messages[i].body, NULL));
  g_assert (pmap_channel_flush (channel, NULL));
  g_clear_pointer (&channel, pmap_channel_free);

  while ((n = read (ends[1], buffer, sizeof buffer)) > 0)
    g_byte_array_append (frames, buffer, n);
  g_assert (n == 0);
  close (ends[1]);

  return frames;
}

/* @frames as data records of a stream. */
static GByteArray *
stream_of (GByteArray *frames)
{
  GByteArray *records = g_byte_array_new ();

  for (gsize done = 0; done < frames->len; done += G_MAXUINT16)
    pmap_fuzz_add_record (records, PMAP_FUZZ_DATA, frames->data + done,
                          MIN (frames->len - done, G_MAXUINT16));
  return records;
}

/* One message sent in a memfd: the header, and the body in a memfd of
 * the kind given by @tag. */
static GByteArray *
memfd_stream_of (const Message *message,
                 guint8         tag)
{
  g_autoptr(GByteArray) frame = frames_of (message, 1);
  GByteArray *records = g_byte_array_new ();
  guint32 header[2] = { GUINT32_TO_LE (PMAP_PROTOCOL_MAGIC_MEMFD),
                        GUINT32_TO_LE (frame->len - PMAP_PROTOCOL_HEADER_SIZE) };

  pmap_fuzz_add_record (records, PMAP_FUZZ_MEMFD | tag,
                        frame->data + PMAP_PROTOCOL_HEADER_SIZE,
                        frame->len - PMAP_PROTOCOL_HEADER_SIZE);
  pmap_fuzz_add_record (records, PMAP_FUZZ_DATA, header, sizeof header);
  return records;
}

/* The input of fuzz-message: the task expected next, the tasks left, then
 * the body of the message's frame. */
static GByteArray *
answer_of (guint32        next,
           guint32        n_left,
           const Message *message)
{
  g_autoptr(GByteArray) frame = frames_of (message, 1);
  GByteArray *input = g_byte_array_new ();
  guint32 numbers[2] = { GUINT32_TO_LE (next), GUINT32_TO_LE (n_left) };

  g_byte_array_append (input, (const guint8 *) numbers, sizeof numbers);
  g_byte_array_append (input, frame->data + PMAP_PROTOCOL_HEADER_SIZE,
                       frame->len - PMAP_PROTOCOL_HEADER_SIZE);
  return input;
}

static void
save (const char *dir,
      const char *target,
      const char *name,
      GByteArray *input)
{
  g_autofree char *folder = g_build_filename (dir, target, NULL);
  g_autofree char *path = g_build_filename (folder, name, NULL);
  g_autoptr(GError) error = NULL;

  g_assert (g_mkdir_with_parents (folder, 0755) == 0);
  if (!g_file_set_contents (path, (const char *) input->data, input->len, &error))
    g_error ("%s", error->message);
  g_byte_array_unref (input);
}

static GVariant *
packed (GVariant **values,
        guint      n_values)
{
  g_autoptr(PmapPacker) packer = pmap_packer_new ();

  for (guint i = 0; i < n_values; i++)
    {
      g_autoptr(GVariant) value = g_variant_ref_sink (values[i]);

      pmap_packer_add (packer, value);
    }
  return pmap_packer_end (packer);
}

static GVariant *
int64s (void)
{
  return packed ((GVariant *[]) { g_variant_new_int64 (1), g_variant_new_int64 (-2),
                                  g_variant_new_int64 (3) }, 3);
}

static GVariant *
mixed (void)
{
  return packed ((GVariant *[]) { g_variant_new_string ("text"), g_variant_new_int32 (7),
                                  g_variant_new ("(dmsay)", 0.5, "maybe", NULL),
                                  g_variant_new ("a{sv}", NULL) }, 4);
}

static GVariant *
many_bytes (void)
{
  g_autoptr(PmapPacker) packer = pmap_packer_new ();

  /* Over the channel's 64 KiB buffer: a body read in pieces. */
  for (guint i = 0; i < 70000; i++)
    {
      g_autoptr(GVariant) value = g_variant_ref_sink (g_variant_new_byte (i));

      pmap_packer_add (packer, value);
    }
  return pmap_packer_end (packer);
}

#define MESSAGE(kind, ...) ((Message) { PMAP_MESSAGE_ ## kind, g_variant_new (__VA_ARGS__) })

/* A batch's shared values: none. */
static GVariant *
no_shares (void)
{
  return g_variant_new_array (G_VARIANT_TYPE ("(uayt)"), NULL, 0);
}

static GVariant *
name_ref (const char *name)
{
  return g_variant_new ("(sv)", "name", g_variant_new ("(ss)", name, ""));
}

static void
write_frame_seeds (const char *dir)
{
  Message hello = MESSAGE (HELLO, "(ux)", PMAP_PROTOCOL_VERSION, (gint64) 4242);
  Message conversation[] = {
    MESSAGE (HELLO, "(ux)", PMAP_PROTOCOL_VERSION, (gint64) 4242),
    MESSAGE (RESULTS, "(uv)", 0, int64s ()),
    MESSAGE (RESULTS, "(uv)", 3, mixed ()),
    MESSAGE (ERROR, "(usis)", 7, "g-io-error-quark", 1, "This task fails"),
  };
  /* Each message's body goes with its sending. */
  Message sealed = MESSAGE (RESULTS, "(uv)", 0, mixed ());
  Message unsealed = MESSAGE (RESULTS, "(uv)", 0, mixed ());
  Message large = MESSAGE (RESULTS, "(uv)", 0, many_bytes ());

  save (dir, "fuzz-frame", "hello", stream_of (frames_of (&hello, 1)));
  save (dir, "fuzz-frame", "conversation",
        stream_of (frames_of (conversation, G_N_ELEMENTS (conversation))));
  save (dir, "fuzz-frame", "memfd-sealed", memfd_stream_of (&sealed, PMAP_FUZZ_SEALED));
  save (dir, "fuzz-frame", "memfd-unsealed", memfd_stream_of (&unsealed, 0));
  save (dir, "fuzz-frame", "larger-than-buffer", stream_of (frames_of (&large, 1)));
}

static void
write_message_seeds (const char *dir)
{
  Message hello = MESSAGE (HELLO, "(ux)", PMAP_PROTOCOL_VERSION, (gint64) 4242);
  Message packed_results = MESSAGE (RESULTS, "(uv)", 5, int64s ());
  Message mixed_results = MESSAGE (RESULTS, "(uv)", 0, mixed ());
  Message error = MESSAGE (ERROR, "(usis)", 2, "pmap-error-quark", 3, "This task fails");
  Message quit = MESSAGE (QUIT, "()");

  save (dir, "fuzz-message", "hello", answer_of (0, 1, &hello));
  save (dir, "fuzz-message", "results-packed", answer_of (5, 3, &packed_results));
  save (dir, "fuzz-message", "results-boxed", answer_of (0, 10, &mixed_results));
  save (dir, "fuzz-message", "error", answer_of (2, 1, &error));
  save (dir, "fuzz-message", "quit", answer_of (0, 1, &quit));
}

/* A value shared as the parent shares it: the memfd of @value's data, the
 * SHARE frame of id 1 that it goes with, saying that the value is of
 * @type (its own if NULL), then @messages. */
static GByteArray *
shared_stream_of (GVariant      *value,
                  const char    *type,
                  const Message *messages,
                  guint          n_messages)
{
  g_autoptr(GVariant) owned = g_variant_ref_sink (value);
  Message share = MESSAGE (SHARE, "(tstt)", (guint64) 1,
                           type != NULL ? type : g_variant_get_type_string (owned),
                           (guint64) 0, (guint64) g_variant_get_size (owned));
  g_autoptr(GByteArray) share_frame = frames_of (&share, 1);
  g_autoptr(GByteArray) frames = frames_of (messages, n_messages);
  GByteArray *records = g_byte_array_new ();

  pmap_fuzz_add_record (records, PMAP_FUZZ_MEMFD | PMAP_FUZZ_SEALED,
                        g_variant_get_data (owned), g_variant_get_size (owned));
  pmap_fuzz_add_record (records, PMAP_FUZZ_DATA, share_frame->data, share_frame->len);
  pmap_fuzz_add_record (records, PMAP_FUZZ_DATA, frames->data, frames->len);
  return records;
}

static void
write_batch_seeds (const char *dir)
{
  static const guint8 build_id[20] = { 0x5e, 0xed };
  Message identity[] = {
    MESSAGE (BATCH, "(@(sv)suv@a(uayt))", name_ref ("identity"), "general", 0, int64s (), no_shares ()),
    MESSAGE (BATCH, "(@(sv)suv@a(uayt))", name_ref ("identity"), "general", 3, mixed (), no_shares ()),
    MESSAGE (QUIT, "()"),
  };
  Message failing = MESSAGE (BATCH, "(@(sv)suv@a(uayt))", name_ref ("fail"), "variant", 0, mixed (), no_shares ());
  Message module = MESSAGE (BATCH, "(@(sv)suv@a(uayt))",
                            g_variant_new ("(sv)", "name",
                                           g_variant_new ("(ss)", "square", "no-such-module.so")),
                            "general", 0, int64s (), no_shares ());
  Message address = MESSAGE (BATCH, "(@(sv)suv@a(uayt))",
                             g_variant_new ("(sv)", "address",
                                            g_variant_new ("(@ayst)",
                                                           g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE,
                                                                                      build_id, sizeof build_id, 1),
                                                           "", (guint64) 0x1234)),
                             "general", 0, int64s (), no_shares ());
  Message serialized = MESSAGE (BATCH, "(@(sv)suv@a(uayt))",
                                g_variant_new ("(sv)", "serialized",
                                               g_variant_new ("(sv)", "general",
                                                              g_variant_new_string ("code"))),
                                "general", 0, mixed (), no_shares ());
  GVariant *shared_inputs[] = {
    g_variant_new ("(u@ay)", 0, g_variant_new_from_data (G_VARIANT_TYPE_BYTESTRING, NULL, 0,
                                                        FALSE, NULL, NULL)),
    g_variant_new ("(u@ay)", 1, g_variant_new_from_data (G_VARIANT_TYPE_BYTESTRING, NULL, 0,
                                                        FALSE, NULL, NULL)),
  };
  GVariant *substitutions = g_variant_new_parsed ("[(@u 0, @ay [1], @t 1), (1, [1], 1)]");
  Message with_shared[] = {
    MESSAGE (BATCH, "(@(sv)suv@a(uayt))", name_ref ("identity"), "general", 0,
             g_variant_new_array (NULL, shared_inputs, 2),
             substitutions),
    MESSAGE (FORGET, "(@at)", g_variant_new_parsed ("[@t 1]")),
    MESSAGE (BATCH, "(@(sv)suv@a(uayt))", name_ref ("identity"), "general", 0,
             g_variant_new_array (NULL, shared_inputs, 2),
             substitutions),
  };
  Message quit = MESSAGE (QUIT, "()");
  Message in_memfd = MESSAGE (BATCH, "(@(sv)suv@a(uayt))", name_ref ("identity"), "general", 0, mixed (), no_shares ());

  save (dir, "fuzz-batch", "identity", stream_of (frames_of (identity, G_N_ELEMENTS (identity))));
  save (dir, "fuzz-batch", "fail", stream_of (frames_of (&failing, 1)));
  save (dir, "fuzz-batch", "module", stream_of (frames_of (&module, 1)));
  save (dir, "fuzz-batch", "address", stream_of (frames_of (&address, 1)));
  save (dir, "fuzz-batch", "serialized", stream_of (frames_of (&serialized, 1)));
  /* As the parent sends a large batch: its reused memfd, unsealed and
   * larger than the body. */
  save (dir, "fuzz-batch", "memfd", memfd_stream_of (&in_memfd, PMAP_FUZZ_LONGER));
  /* A value shared, put in place in two inputs, forgotten, then named
   * again. */
  save (dir, "fuzz-batch", "shared",
        shared_stream_of (g_variant_new_parsed ("@ay [1, 2, 3, 4, 5, 6, 7, 8]"), NULL,
                          with_shared, G_N_ELEMENTS (with_shared)));
  /* A type that no value has, on which GVariant asserts. */
  save (dir, "fuzz-batch", "shared-indefinite",
        shared_stream_of (g_variant_new_parsed ("@ay [1, 2, 3, 4, 5, 6, 7, 8]"), "ar",
                          &quit, 1));
}

int
main (int   argc,
      char *argv[])
{
  if (argc != 2)
    {
      g_printerr ("Usage: %s DIR\n", argv[0]);
      return 2;
    }

  write_frame_seeds (argv[1]);
  write_message_seeds (argv[1]);
  write_batch_seeds (argv[1]);
  return 0;
}
