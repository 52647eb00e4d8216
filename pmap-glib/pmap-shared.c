/* pmap-shared.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A large value that many inputs of a map hold, such as one GVariant
 * reused as a child of every input tuple, would otherwise travel in every
 * batch, and exist once more in every worker per batch. Instead the parent
 * writes it once into a sealed memfd (or finds the memfd of bytes that
 * pmap_bytes_new_shared() made), sends each worker that memfd once in a
 * SHARE message, and the batches name the value by its id in place of its
 * data. Values are recognised by identity, not by contents: the same type,
 * data pointer and size, which costs a pointer comparison and no reading.
 */

#include "config.h"

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gio/gio.h>

#include "pmap-bytes-private.h"
#include "pmap-error.h"
#include "pmap-memfd-private.h"
#include "pmap-protocol-private.h"
#include "pmap-shared-private.h"

/* How deep in tuples and variants a shared value may lie: paths travel
 * as bytes, and inputs are seldom nested further. */
#define MAX_DEPTH 16

/* Unique in the process, so that a worker never takes a value of one map
 * for another's. */
static gsize last_id;

typedef struct
{
  guint64       id;
  GVariant     *value;
  gconstpointer data;
  gsize         size;
  guint         n_inputs;

  /* The memfd that it travels in, once a worker needed it, and where in
   * it the value starts. */
  int           fd;
  guint64       offset;
} Share;

struct _PmapShareTable
{
  gatomicrefcount  ref_count;
  guint64          max_nbytes;

  GMutex           mutex;
  /* Share by data pointer, the key of the identity; by id. */
  GHashTable      *by_data;
  GHashTable      *by_id;
};

static void
share_free (gpointer data)
{
  Share *share = data;

  g_variant_unref (share->value);
  if (share->fd >= 0)
    close (share->fd);
  g_free (share);
}

/* Values that can be replaced by an empty value of their type: arrays and
 * strings, which are what grows large. */
static gboolean
can_share (GVariant *value)
{
  const char *type = g_variant_get_type_string (value);

  return type[0] == 'a' || type[0] == 's';
}

static Share *
lookup (PmapShareTable *self,
        GVariant       *value)
{
  gconstpointer data = g_variant_get_data (value);
  Share *share = g_hash_table_lookup (self->by_data, data);

  if (share != NULL && share->size == g_variant_get_size (value) &&
      g_variant_type_equal (g_variant_get_type (share->value), g_variant_get_type (value)))
    return share;

  return NULL;
}

/* Counts the inputs that hold each large value. Serializes large values
 * that are still trees, which sending them would do anyway. */
static void
count_values (PmapShareTable *self,
              GVariant       *value,
              guint           depth)
{
  if (g_variant_get_size (value) < self->max_nbytes)
    return;

  if (can_share (value))
    {
      Share *share = lookup (self, value);

      if (share == NULL)
        {
          share = g_new0 (Share, 1);
          share->value = g_variant_ref (value);
          share->data = g_variant_get_data (value);
          share->size = g_variant_get_size (value);
          share->fd = -1;
          /* Another value of another type at the same address keeps the
           * first; the second then travels as usual. */
          if (!g_hash_table_contains (self->by_data, share->data))
            g_hash_table_insert (self->by_data, (gpointer) share->data, share);
          else
            {
              share_free (share);
              return;
            }
        }
      share->n_inputs++;
      return;
    }

  if (depth >= MAX_DEPTH ||
      !(g_variant_is_of_type (value, G_VARIANT_TYPE_TUPLE) ||
        g_variant_is_of_type (value, G_VARIANT_TYPE_VARIANT)))
    return;

  for (gsize i = 0, n = g_variant_n_children (value); i < n; i++)
    {
      g_autoptr(GVariant) child = g_variant_get_child_value (value, i);

      count_values (self, child, depth + 1);
    }
}

/* Whether values of @type are smaller than @max_nbytes whatever they hold:
 * numbers, booleans, and tuples and dict entries of them, which take at
 * most 8 bytes and 7 of padding per character of their type. Asking a
 * value its size takes a lock, which a map of a million numbers would
 * feel. */
static gboolean
is_always_small (const char *type,
                 guint64     max_nbytes)
{
  gsize length = strspn (type, "bynqiuxthd(){}");

  return type[length] == '\0' && 16 * (guint64) length < max_nbytes;
}

/* Whether a value is held by too few inputs to gain from sharing: no more
 * than there are jobs, each of which may run one of them on a worker of
 * its own, which the value would reach once either way, and sooner in its
 * batch than copied into a memfd of its own first. */
static gboolean
is_held_by_few (gpointer key,
                gpointer value,
                gpointer user_data)
{
  return ((Share *) value)->n_inputs <= MAX (GPOINTER_TO_UINT (user_data), 1);
}

PmapShareTable *
pmap_share_table_new (PmapJob *job,
                      guint64  max_nbytes)
{
  g_autoptr(PmapShareTable) self = g_new0 (PmapShareTable, 1);
  const char *small_type = NULL;
  GHashTableIter iter;
  Share *share;

  g_atomic_ref_count_init (&self->ref_count);
  g_mutex_init (&self->mutex);
  self->max_nbytes = MAX (max_nbytes, PMAP_PROTOCOL_MIN_MEMFD_THRESHOLD);
  self->by_data = g_hash_table_new_full (NULL, NULL, NULL, share_free);
  self->by_id = g_hash_table_new (g_int64_hash, g_int64_equal);

  for (guint i = 0, n = pmap_job_get_n_tasks (job); i < n; i++)
    {
      GVariant *input = pmap_job_get_input (job, i);
      const char *type = g_variant_get_type_string (input);

      /* Type strings are interned: most maps have inputs of one type. */
      if (type == small_type)
        continue;
      if (is_always_small (type, self->max_nbytes))
        small_type = type;
      else
        count_values (self, input, 0);
    }

  /* A value that few inputs hold travels in their batches, as any other. */
  g_hash_table_foreach_remove (self->by_data, is_held_by_few,
                               GUINT_TO_POINTER (pmap_job_get_n_jobs (job)));
  if (g_hash_table_size (self->by_data) == 0)
    return NULL;

  g_hash_table_iter_init (&iter, self->by_data);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &share))
    {
      share->id = (guint64) g_atomic_pointer_add (&last_id, 1) + 1;
      g_hash_table_insert (self->by_id, &share->id, share);
    }

  return g_steal_pointer (&self);
}

PmapShareTable *
pmap_share_table_ref (PmapShareTable *self)
{
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
pmap_share_table_unref (PmapShareTable *self)
{
  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;

  g_hash_table_unref (self->by_id);
  g_hash_table_unref (self->by_data);
  g_mutex_clear (&self->mutex);
  g_free (self);
}

/* An empty value of @value's type: no bytes at all, which GVariant reads
 * as an empty array or string. */
static GVariant *
placeholder (GVariant *value)
{
  return g_variant_new_from_data (g_variant_get_type (value), NULL, 0, FALSE, NULL, NULL);
}

/* A tuple or variant like @container, of @children. */
static GVariant *
container_like (GVariant  *container,
                GPtrArray *children)
{
  if (g_variant_is_of_type (container, G_VARIANT_TYPE_VARIANT))
    return g_variant_ref_sink (g_variant_new_variant (children->pdata[0]));

  return g_variant_ref_sink (g_variant_new_tuple ((GVariant **) children->pdata,
                                                  children->len));
}

static GVariant *
substitute (PmapShareTable  *self,
            GVariant        *value,
            guint            index,
            GByteArray      *path,
            GVariantBuilder *substitutions)
{
  g_autoptr(GPtrArray) children = NULL;
  gboolean changed = FALSE;
  gsize n;

  if (g_variant_get_size (value) < self->max_nbytes)
    return g_variant_ref (value);

  if (can_share (value))
    {
      Share *share = lookup (self, value);

      if (share == NULL)
        return g_variant_ref (value);

      g_variant_builder_add (substitutions, "(u@ayt)", index,
                             g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, path->data,
                                                        path->len, 1),
                             share->id);
      return g_variant_ref_sink (placeholder (value));
    }

  if (path->len >= MAX_DEPTH ||
      !(g_variant_is_of_type (value, G_VARIANT_TYPE_TUPLE) ||
        g_variant_is_of_type (value, G_VARIANT_TYPE_VARIANT)))
    return g_variant_ref (value);

  /* A path's steps are bytes. */
  n = g_variant_n_children (value);
  if (n > G_MAXUINT8 + 1)
    return g_variant_ref (value);

  children = g_ptr_array_new_full (n, (GDestroyNotify) g_variant_unref);
  for (gsize i = 0; i < n; i++)
    {
      g_autoptr(GVariant) child = g_variant_get_child_value (value, i);
      guint8 step = i;
      GVariant *replaced;

      g_byte_array_append (path, &step, 1);
      replaced = substitute (self, child, index, path, substitutions);
      g_byte_array_set_size (path, path->len - 1);

      changed |= replaced != child;
      g_ptr_array_add (children, replaced);
    }

  return changed ? container_like (value, children) : g_variant_ref (value);
}

GVariant *
pmap_share_table_substitute (PmapShareTable  *self,
                             GVariant        *input,
                             guint            index,
                             GVariantBuilder *substitutions)
{
  g_autoptr(GByteArray) path = g_byte_array_new ();

  return substitute (self, input, index, path, substitutions);
}

GVariant *
pmap_share_substitutions_range (GVariant *substitutions,
                                guint     start,
                                guint     end)
{
  GVariantBuilder kept;
  GVariantIter iter;
  GVariant *substitution;

  g_variant_builder_init (&kept, G_VARIANT_TYPE ("a(uayt)"));
  g_variant_iter_init (&iter, substitutions);
  while ((substitution = g_variant_iter_next_value (&iter)) != NULL)
    {
      guint32 index;

      g_variant_get_child (substitution, 0, "u", &index);
      if (index >= start && index < end)
        g_variant_builder_add_value (&kept, substitution);
      g_variant_unref (substitution);
    }

  return g_variant_builder_end (&kept);
}

/* The memfd of @share, written the first time a worker needs it: the one
 * of the shared bytes that its data lies in, or a new one. Under the
 * lock. */
static gboolean
ensure_memfd (Share   *share,
              GError **error)
{
  guint8 *map;

  if (share->fd >= 0)
    return TRUE;

  share->fd = pmap_bytes_dup_shared_fd (share->data, share->size, &share->offset);
  if (share->fd >= 0)
    return TRUE;

  share->offset = 0;
  share->fd = pmap_memfd_new_named ("pmap-shared", share->size, &map, error);
  if (share->fd < 0)
    return FALSE;

  /* Not kept mapped: the workers map it, and the parent has the value. */
  memcpy (map, share->data, share->size);
  munmap (map, share->size);
  if (!pmap_memfd_seal (share->fd, error))
    {
      close (share->fd);
      share->fd = -1;
      return FALSE;
    }

  return TRUE;
}

gboolean
pmap_share_table_send (PmapShareTable  *self,
                       PmapWorker      *worker,
                       GVariant        *batch,
                       GError         **error)
{
  g_autoptr(GVariant) substitutions = g_variant_get_child_value (batch, 4);
  PmapChannel *channel = pmap_worker_get_channel (worker);
  GVariantIter iter;
  guint64 id;

  g_variant_iter_init (&iter, substitutions);
  while (g_variant_iter_next (&iter, "(u@ayt)", NULL, NULL, &id))
    {
      g_autoptr(GError) local_error = NULL;
      Share *share;
      gboolean ready;

      if (pmap_worker_holds_share (worker, id))
        continue;

      g_mutex_lock (&self->mutex);
      share = g_hash_table_lookup (self->by_id, &id);
      g_assert (share != NULL);
      ready = ensure_memfd (share, &local_error);
      g_mutex_unlock (&self->mutex);

      /* The batch's fault, not the worker's: its first task fails, and
       * the worker stays. */
      if (!ready)
        {
          g_set_error (error, PMAP_ERROR, PMAP_ERROR_NOT_SERIALIZABLE,
                       "A value of %" G_GSIZE_FORMAT " bytes that the inputs "
                       "share could not be put in shared memory for the "
                       "workers: %s", share->size, local_error->message);
          return FALSE;
        }

      if (!pmap_channel_send_with_fd (channel, PMAP_MESSAGE_SHARE,
                                      g_variant_new ("(tstt)", id,
                                                     g_variant_get_type_string (share->value),
                                                     share->offset, (guint64) share->size),
                                      share->fd, error))
        return FALSE;

      pmap_worker_add_share (worker, id);
    }

  return TRUE;
}

struct _PmapShareStore
{
  GHashTable *values;
};

PmapShareStore *
pmap_share_store_new (void)
{
  PmapShareStore *self = g_new0 (PmapShareStore, 1);

  self->values = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                        (GDestroyNotify) g_variant_unref);
  return self;
}

void
pmap_share_store_free (PmapShareStore *self)
{
  g_hash_table_unref (self->values);
  g_free (self);
}

gboolean
pmap_share_store_add (PmapShareStore  *self,
                      PmapChannel     *channel,
                      GVariant        *body,
                      GError         **error)
{
  g_autoptr(GBytes) bytes = NULL;
  const char *type;
  guint64 id, offset, size;
  int fd = pmap_channel_take_fd (channel);

  g_variant_get (body, "(t&stt)", &id, &type, &offset, &size);
  /* A value has a definite type: "r" or "*" name none. */
  if (fd < 0 || !g_variant_type_string_is_valid (type) ||
      !g_variant_type_is_definite (G_VARIANT_TYPE (type)))
    {
      if (fd >= 0)
        close (fd);
      g_set_error (error, PMAP_ERROR, PMAP_ERROR_PROTOCOL,
                   "A shared value came without its memfd, or of the invalid "
                   "type “%s”", type);
      return FALSE;
    }

  bytes = pmap_memfd_map_range (fd, offset, size, error);
  close (fd);
  if (bytes == NULL)
    return FALSE;

  g_hash_table_insert (self->values, g_memdup2 (&id, sizeof id),
                       g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE (type),
                                                                     bytes, FALSE)));
  return TRUE;
}

void
pmap_share_store_forget (PmapShareStore *self,
                         GVariant       *body)
{
  g_autoptr(GVariant) ids = g_variant_get_child_value (body, 0);
  gsize n;
  const guint64 *id = g_variant_get_fixed_array (ids, &n, sizeof (guint64));

  for (gsize i = 0; i < n; i++)
    g_hash_table_remove (self->values, &id[i]);
}

/* @value with its descendant at @path, @depth steps down, replaced by
 * @shared; NULL if the path does not lead to a value of its type. */
static GVariant *
replace_at (GVariant     *value,
            const guint8 *path,
            gsize         depth,
            gsize         length,
            GVariant     *shared)
{
  g_autoptr(GPtrArray) children = NULL;
  gboolean is_variant = g_variant_is_of_type (value, G_VARIANT_TYPE_VARIANT);
  gsize n;

  if (depth == length)
    return g_variant_type_equal (g_variant_get_type (value), g_variant_get_type (shared)) ?
           g_variant_ref (shared) : NULL;

  if (!is_variant && !g_variant_is_of_type (value, G_VARIANT_TYPE_TUPLE))
    return NULL;

  n = g_variant_n_children (value);
  if (path[depth] >= n)
    return NULL;

  children = g_ptr_array_new_full (n, (GDestroyNotify) g_variant_unref);
  for (gsize i = 0; i < n; i++)
    {
      g_autoptr(GVariant) child = g_variant_get_child_value (value, i);
      GVariant *replaced = i == path[depth] ?
                           replace_at (child, path, depth + 1, length, shared) :
                           g_variant_ref (child);

      if (replaced == NULL)
        return NULL;
      g_ptr_array_add (children, replaced);
    }

  return container_like (value, children);
}

GVariant *
pmap_share_store_rebuild (PmapShareStore  *self,
                          GVariant        *input,
                          guint            index,
                          GVariant        *substitutions,
                          gsize           *next,
                          GError         **error)
{
  g_autoptr(GVariant) rebuilt = g_variant_ref (input);
  gsize n = g_variant_n_children (substitutions);

  for (; *next < n; (*next)++)
    {
      g_autoptr(GVariant) path = NULL;
      GVariant *shared, *replaced;
      guint32 task;
      guint64 id;
      gsize length;
      const guint8 *steps;

      g_variant_get_child (substitutions, *next, "(u@ayt)", &task, &path, &id);
      if (task != index)
        break;

      steps = g_variant_get_fixed_array (path, &length, 1);
      shared = g_hash_table_lookup (self->values, &id);
      replaced = shared != NULL ? replace_at (rebuilt, steps, 0, length, shared) : NULL;
      if (replaced == NULL)
        {
          g_set_error (error, PMAP_ERROR, PMAP_ERROR_PROTOCOL,
                       "The input of task %u names the shared value %" G_GUINT64_FORMAT
                       ", which this worker %s", index, id,
                       shared == NULL ? "does not hold" : "cannot put in its place");
          return NULL;
        }

      g_variant_unref (rebuilt);
      rebuilt = replaced;
    }

  return g_steal_pointer (&rebuilt);
}
