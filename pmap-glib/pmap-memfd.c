/* pmap-memfd.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A message body of a megabyte or more is written once into a memfd, whose
 * descriptor travels with the frame's header, and the receiver maps it
 * instead of reading it through the socket. What the parent receives must
 * be sealed, so that a worker cannot change, shrink or grow it after the
 * parent checked it.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>

#include "pmap-error.h"
#include "pmap-memfd-private.h"
#include "pmap-protocol-private.h"

#define MEMFD_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

static gboolean
set_errno_error (GError     **error,
                 const char  *what)
{
  int saved_errno = errno;

  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
               "Could not %s a memfd for a message: %s", what,
               g_strerror (saved_errno));
  return FALSE;
}

/* A new memfd of @size bytes named @name (which /proc/PID/maps shows),
 * mapped for writing at *@map; -1 with @error set on failure. */
int
pmap_memfd_new_named (const char  *name,
                      gsize        size,
                      guint8     **map,
                      GError     **error)
{
  int fd = memfd_create (name, MFD_CLOEXEC | MFD_ALLOW_SEALING);

  if (fd < 0)
    return set_errno_error (error, "create"), -1;

  if (ftruncate (fd, size) != 0 ||
      (*map = mmap (NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) == MAP_FAILED)
    {
      set_errno_error (error, "map");
      close (fd);
      return -1;
    }

  /* A child that another thread forks keeps the mappings it inherits until
   * it execs, and a writable one would keep the memfd from being sealed. */
  madvise (*map, size, MADV_DONTFORK);

  return fd;
}

int
pmap_memfd_new (gsize     size,
                guint8  **map,
                GError  **error)
{
  return pmap_memfd_new_named ("pmap-message", size, map, error);
}

/* How long a seal waits for children forked while the memfd was mapped
 * for writing, in the instant before MADV_DONTFORK, to exec or exit. */
#define SEAL_BUSY_RETRIES 1000
#define SEAL_BUSY_WAIT_US 1000

/* Seals a written memfd, no longer mapped for writing here, against writes
 * and resizing, for good. */
gboolean
pmap_memfd_seal (int      fd,
                 GError **error)
{
  for (int i = 0; i < SEAL_BUSY_RETRIES; i++)
    {
      if (fcntl (fd, F_ADD_SEALS, MEMFD_SEALS) == 0)
        return TRUE;
      if (errno != EBUSY)
        break;
      g_usleep (SEAL_BUSY_WAIT_US);
    }

  return set_errno_error (error, "seal");
}

/* F_GET_SEALS fails on files that are not memfds, which must not pass. */
static gboolean
is_sealed (int fd)
{
  int seals = fcntl (fd, F_GET_SEALS);

  return seals >= 0 && (seals & MEMFD_SEALS) == MEMFD_SEALS;
}

typedef struct
{
  gpointer map;
  gsize    size;
} Mapping;

static void
unmap (gpointer data)
{
  Mapping *mapping = data;

  munmap (mapping->map, mapping->size);
  g_free (mapping);
}

/* Maps the first @size bytes of the memfd @fd read-only, as bytes that
 * unmap themselves. A @strict receiver, the parent, wants a sealed memfd
 * of exactly @size bytes; a worker takes its parent's reused one, which
 * may be larger. Does not take @fd. */
GBytes *
pmap_memfd_map (int       fd,
                guint32   size,
                gboolean  strict,
                GError  **error)
{
  struct stat info;
  Mapping *mapping;
  gpointer map;

  if (size > PMAP_PROTOCOL_MAX_BODY || fstat (fd, &info) != 0 ||
      (guint64) info.st_size < size ||
      (strict && ((guint64) info.st_size != size || !is_sealed (fd))))
    {
      g_set_error (error, PMAP_ERROR, PMAP_ERROR_PROTOCOL,
                   "A memfd frame announces %u bytes, but its descriptor is "
                   "not a sealed memfd of that size", size);
      return NULL;
    }

  map = size > 0 ? mmap (NULL, size, PROT_READ, MAP_SHARED, fd, 0) : MAP_FAILED;
  if (map == MAP_FAILED)
    {
      g_set_error (error, PMAP_ERROR, PMAP_ERROR_PROTOCOL,
                   "A memfd frame of %u bytes cannot be mapped", size);
      return NULL;
    }

  mapping = g_new (Mapping, 1);
  mapping->map = map;
  mapping->size = size;
  return g_bytes_new_with_free_func (map, size, unmap, mapping);
}

/* Maps the @size bytes at @offset of the memfd @fd read-only, as bytes
 * that unmap themselves; for a worker, which trusts its parent, but still
 * checks that the file holds them. Does not take @fd. */
GBytes *
pmap_memfd_map_range (int       fd,
                      guint64   offset,
                      guint64   size,
                      GError  **error)
{
  guint64 page = (guint64) sysconf (_SC_PAGESIZE);
  guint64 start = offset - offset % page;
  struct stat info;
  Mapping *mapping;
  gpointer map;

  if (size == 0 || size > G_MAXSIZE - page || offset > G_MAXUINT64 - size ||
      fstat (fd, &info) != 0 || (guint64) info.st_size < offset + size)
    {
      g_set_error (error, PMAP_ERROR, PMAP_ERROR_PROTOCOL,
                   "A shared value of %" G_GUINT64_FORMAT " bytes at offset %"
                   G_GUINT64_FORMAT " does not lie in its memfd", size, offset);
      return NULL;
    }

  map = mmap (NULL, offset - start + size, PROT_READ, MAP_SHARED, fd, start);
  if (map == MAP_FAILED)
    return set_errno_error (error, "map"), NULL;

  mapping = g_new (Mapping, 1);
  mapping->map = map;
  mapping->size = offset - start + size;
  return g_bytes_new_with_free_func ((guint8 *) map + (offset - start), size,
                                     unmap, mapping);
}

/* Whether the process @pid maps the memfd @fd; when in doubt, yes. A
 * mapping shows its file's inode in /proc/PID/maps. */
gboolean
pmap_memfd_is_mapped_by (int fd,
                         int pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/maps", pid);
  g_autofree char *maps = NULL;
  char needle[32];
  struct stat info;

  if (pid <= 0 || fstat (fd, &info) != 0 ||
      !g_file_get_contents (path, &maps, NULL, NULL))
    return TRUE;

  g_snprintf (needle, sizeof needle, " %lu ", (gulong) info.st_ino);
  return strstr (maps, needle) != NULL;
}
