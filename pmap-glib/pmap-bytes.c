/* pmap-bytes.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Bytes that live in a sealed memfd from the start. The processes backend
 * sends a value whose data lies in them to its workers by descriptor, with
 * no copy at all: the parent and every worker map the same pages. A
 * process-wide list of these mappings lets the backend find the memfd
 * behind a value's data pointer.
 */

#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pmap-bytes-private.h"
#include "pmap-error.h"
#include "pmap-memfd-private.h"

typedef struct
{
  guint8 *map;
  gsize   size;
  int     fd;
} SharedMapping;

G_LOCK_DEFINE_STATIC (mappings);
static GList *mappings;

static void
shared_mapping_free (gpointer data)
{
  SharedMapping *mapping = data;

  G_LOCK (mappings);
  mappings = g_list_remove (mappings, mapping);
  G_UNLOCK (mappings);

  munmap (mapping->map, mapping->size);
  close (mapping->fd);
  g_free (mapping);
}

/**
 * pmap_bytes_new_shared_fill: (skip)
 * @size: the size of the bytes, more than 0
 * @fill: (scope call): writes their contents
 * @user_data: data for @fill
 * @error: return location for a #GError
 *
 * Creates bytes in shared memory, as pmap_bytes_new_shared() does, but
 * lets @fill write their contents in place, so that they never exist
 * anywhere else: the way to build a large argument that the `processes`
 * backend's workers map without the parent ever holding a second copy.
 * The memory is sealed against writes once @fill returns.
 *
 * Returns: (transfer full) (nullable): the bytes, or %NULL with @error set
 *   if the memory could not be created or @fill failed
 *
 * Since: 1.0
 */
GBytes *
pmap_bytes_new_shared_fill (gsize               size,
                            PmapBytesFillFunc   fill,
                            gpointer            user_data,
                            GError            **error)
{
  SharedMapping *mapping;
  guint8 *map;
  int fd;

  g_return_val_if_fail (size > 0, NULL);
  g_return_val_if_fail (fill != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  fd = pmap_memfd_new_named ("pmap-bytes", size, &map, error);
  if (fd < 0)
    return NULL;

  /* Mapped read-only once sealed: F_SEAL_WRITE refuses a file that has a
   * writable shared mapping. */
  if (!fill (map, size, user_data, error) ||
      munmap (map, size) != 0 ||
      !pmap_memfd_seal (fd, error) ||
      (map = mmap (NULL, size, PROT_READ, MAP_SHARED, fd, 0)) == MAP_FAILED)
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, PMAP_ERROR, PMAP_ERROR_FAILED,
                     "Could not seal %" G_GSIZE_FORMAT " bytes of shared "
                     "memory", size);
      close (fd);
      return NULL;
    }

  mapping = g_new (SharedMapping, 1);
  mapping->map = map;
  mapping->size = size;
  mapping->fd = fd;

  G_LOCK (mappings);
  mappings = g_list_prepend (mappings, mapping);
  G_UNLOCK (mappings);

  return g_bytes_new_with_free_func (map, size, shared_mapping_free, mapping);
}

static gboolean
copy_data (guint8    *data,
           gsize      size,
           gpointer   user_data,
           GError   **error)
{
  memcpy (data, user_data, size);
  return TRUE;
}

/**
 * pmap_bytes_new_shared:
 * @data: (array length=size): the contents
 * @size: the size of @data in bytes, more than 0
 * @error: return location for a #GError
 *
 * Creates bytes holding a copy of @data in shared memory: a sealed memfd
 * that nobody can change any more. A value whose data lies in them, such
 * as `g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, bytes, TRUE)`,
 * travels to the `processes` backend's workers by descriptor when it is
 * large (see [property@Pmap.Executor:max-nbytes]): the parent and its
 * workers map the same pages, and the value exists once in memory however
 * many workers read it. Other values are copied into a memfd once per map.
 *
 * In C, pmap_bytes_new_shared_fill() writes the contents in place instead
 * of copying them. See [Large payloads](large-payloads.html).
 *
 * Returns: (transfer full) (nullable): the bytes, or %NULL with @error set
 *   if the shared memory could not be created
 *
 * Since: 1.0
 */
GBytes *
pmap_bytes_new_shared (const guint8  *data,
                       gsize          size,
                       GError       **error)
{
  g_return_val_if_fail (data != NULL, NULL);

  return pmap_bytes_new_shared_fill (size, copy_data, (gpointer) data, error);
}

static SharedMapping *
find_mapping (gconstpointer data,
              gsize         size)
{
  const guint8 *start = data;

  for (GList *l = mappings; l != NULL; l = l->next)
    {
      SharedMapping *mapping = l->data;

      if (start >= mapping->map && start <= mapping->map + mapping->size &&
          size <= (gsize) (mapping->map + mapping->size - start))
        return mapping;
    }

  return NULL;
}

/**
 * pmap_bytes_is_shared:
 * @bytes: bytes
 *
 * Whether @bytes lie in shared memory that pmap_bytes_new_shared() or
 * pmap_bytes_new_shared_fill() created, as slices of such bytes do.
 *
 * Returns: %TRUE if they do
 *
 * Since: 1.0
 */
gboolean
pmap_bytes_is_shared (GBytes *bytes)
{
  gsize size;
  gconstpointer data;
  gboolean shared;

  g_return_val_if_fail (bytes != NULL, FALSE);

  data = g_bytes_get_data (bytes, &size);
  G_LOCK (mappings);
  shared = size > 0 && find_mapping (data, size) != NULL;
  G_UNLOCK (mappings);

  return shared;
}

int
pmap_bytes_dup_shared_fd (gconstpointer  data,
                          gsize          size,
                          guint64       *offset)
{
  SharedMapping *mapping;
  int fd = -1;

  G_LOCK (mappings);
  mapping = size > 0 ? find_mapping (data, size) : NULL;
  if (mapping != NULL)
    {
      fd = fcntl (mapping->fd, F_DUPFD_CLOEXEC, 0);
      *offset = (const guint8 *) data - mapping->map;
    }
  G_UNLOCK (mappings);

  return fd;
}
