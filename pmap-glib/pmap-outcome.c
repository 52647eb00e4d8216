/* pmap-outcome.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "pmap-outcome-private.h"

/**
 * PmapOutcome:
 *
 * What one task of a map came to: the value its function returned, or the
 * error it failed with. [method@Pmap.Executor.map_outcomes] returns one
 * per input, in input order, so that one failing input costs that input
 * and not the whole map, as `asyncio.gather(…, return_exceptions=True)`
 * does in Python.
 *
 * ```c
 * for (guint i = 0; i < outcomes->len; i++)
 *   {
 *     g_autoptr(GError) error = NULL;
 *     g_autoptr(GVariant) value =
 *       pmap_outcome_get_value (g_ptr_array_index (outcomes, i), &error);
 *
 *     if (value == NULL)
 *       g_printerr ("%s\n", error->message);
 *   }
 * ```
 *
 * Since: 1.0
 */
struct _PmapOutcome
{
  gatomicrefcount  ref_count;
  GVariant        *value;
  GError          *error;
};

G_DEFINE_BOXED_TYPE (PmapOutcome, pmap_outcome, pmap_outcome_ref, pmap_outcome_unref)

/* Takes @value, or @error; exactly one of them is set. */
PmapOutcome *
pmap_outcome_new (GVariant *value,
                  GError   *error)
{
  PmapOutcome *self = g_new0 (PmapOutcome, 1);

  g_assert ((value == NULL) != (error == NULL));

  g_atomic_ref_count_init (&self->ref_count);
  self->value = value;
  self->error = error;

  return self;
}

/**
 * pmap_outcome_ref:
 * @self: an outcome
 *
 * Takes a reference to @self.
 *
 * Returns: (transfer full): @self
 *
 * Since: 1.0
 */
PmapOutcome *
pmap_outcome_ref (PmapOutcome *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

/**
 * pmap_outcome_unref:
 * @self: (transfer full): an outcome
 *
 * Drops a reference to @self, freeing it with the last one.
 *
 * Since: 1.0
 */
void
pmap_outcome_unref (PmapOutcome *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;

  g_clear_pointer (&self->value, g_variant_unref);
  g_clear_error (&self->error);
  g_free (self);
}

/**
 * pmap_outcome_succeeded:
 * @self: an outcome
 *
 * Whether the task returned a value.
 *
 * Returns: %TRUE if the task returned a value, %FALSE if it failed
 *
 * Since: 1.0
 */
gboolean
pmap_outcome_succeeded (PmapOutcome *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->value != NULL;
}

/**
 * pmap_outcome_get_value:
 * @self: an outcome
 * @error: return location for the task's error
 *
 * Gets the value that the task returned, or its error: the error of its
 * function, with its domain and code and the message prefixed with
 * `Task N failed: `, or the error of the worker process that ran it.
 *
 * Returns: (transfer full): the task's value, or %NULL with @error set to
 *   a copy of the task's error
 *
 * Since: 1.0
 */
GVariant *
pmap_outcome_get_value (PmapOutcome  *self,
                        GError      **error)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (self->value != NULL)
    return g_variant_ref (self->value);

  g_propagate_error (error, g_error_copy (self->error));
  return NULL;
}
