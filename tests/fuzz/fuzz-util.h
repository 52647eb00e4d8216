/* fuzz-util.h: what the fuzz targets share
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* What libFuzzer calls: once, then for each input. */
int LLVMFuzzerInitialize   (int           *argc,
                            char        ***argv);
int LLVMFuzzerTestOneInput (const guint8  *data,
                            size_t         size);

/* Makes GLib's warnings and criticals fatal, so that a precondition that
 * an input breaks is a crash that libFuzzer reports, and silences what
 * the library prints on standard error. */
void pmap_fuzz_init (void);

/* How many descriptors this process has open: a target checks that an
 * input leaves none behind. */
guint pmap_fuzz_count_fds (void);

/* The other end of a worker channel, fed from a fuzz input in the stream
 * format below, on a thread of its own that also reads and drops what the
 * channel's end sends, until that end closes.
 *
 * The input is a sequence of records, each a tag byte, a little-endian
 * 16-bit length and that many bytes (fewer if the input ends first):
 *
 * - tag & 3 == 0: the bytes go into the stream;
 * - tag & 3 == 1: the bytes go into a new memfd, whose descriptor goes
 *   with the next bytes of the stream; tag & 4: the memfd is sealed as a
 *   worker seals it; tag & 8: the memfd is a page longer than the bytes;
 * - tag & 3 == 2: the read end of a pipe goes with the next bytes, a
 *   descriptor that is no memfd;
 * - tag & 3 == 3: the stream ends here.
 *
 * At most 32 descriptors travel; descriptors that no bytes follow are
 * dropped. */
typedef struct _PmapFuzzPeer PmapFuzzPeer;

/* Returns the peer, and in *@channel_fd the channel's end to read from. */
PmapFuzzPeer *pmap_fuzz_peer_new  (const guint8  *data,
                                   gsize          size,
                                   int           *channel_fd);
/* Waits until the peer has sent everything and the channel's end is
 * closed, then frees it. */
void          pmap_fuzz_peer_free (PmapFuzzPeer  *peer);

/* Writes the record of @size bytes of @data with @tag to @record. */
void          pmap_fuzz_add_record (GByteArray   *records,
                                    guint8        tag,
                                    const void   *data,
                                    gsize         size);

#define PMAP_FUZZ_DATA 0
#define PMAP_FUZZ_MEMFD 1
#define PMAP_FUZZ_PIPE 2
#define PMAP_FUZZ_END 3
#define PMAP_FUZZ_SEALED 4
#define PMAP_FUZZ_LONGER 8

G_END_DECLS
