/* pmap-wrapped.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "pmap-wrapped-private.h"

/**
 * PmapWrapped:
 *
 * A function marked to travel to worker processes by value, whatever the
 * executor's [property@Pmap.Executor:serializer] says: joblib's
 * `wrap_non_picklable_objects`.
 *
 * With the strict `variant` serializer, a function of the program that is
 * not registered by name cannot reach a worker. Wrapping it lets that one
 * function travel as the build-id of the program and its offset there,
 * while the inputs keep the serializer's fast path:
 *
 * ```c
 * g_autoptr(PmapWrapped) wrapped = pmap_wrapped_new (func_async, NULL, NULL);
 * results = pmap_executor_map_wrapped (executor, wrapped, inputs, n_inputs,
 *                                      NULL, &error);
 * ```
 *
 * Only compiled functions travel by value, and without user data, which
 * means nothing in another process; a wrapped function that has some is
 * refused with %PMAP_ERROR_NOT_SERIALIZABLE when a map needs to send it.
 * Backends that run tasks in the calling process call it as it is.
 *
 * A function that a serializer made into data, such as a Python function
 * that cloudpickle turned into bytes, is wrapped with
 * [ctor@Pmap.Wrapped.new_serialized]: it travels as that data with the
 * name of its serializer, whose [vfunc@Pmap.Serializer.call] runs it.
 *
 * Since: 1.0
 */
struct _PmapWrapped
{
  GObject       parent_instance;

  PmapCallable *callable;
};

G_DEFINE_FINAL_TYPE (PmapWrapped, pmap_wrapped, G_TYPE_OBJECT)

static void
pmap_wrapped_finalize (GObject *object)
{
  PmapWrapped *self = (PmapWrapped *)object;

  g_clear_pointer (&self->callable, pmap_callable_unref);

  G_OBJECT_CLASS (pmap_wrapped_parent_class)->finalize (object);
}

static void
pmap_wrapped_class_init (PmapWrappedClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = pmap_wrapped_finalize;
}

static void
pmap_wrapped_init (PmapWrapped *self)
{
}

/**
 * pmap_wrapped_new:
 * @func: (scope notified) (closure user_data) (destroy destroy): the
 *   function
 * @user_data: data for @func; it must be %NULL for @func to travel to a
 *   worker process
 * @destroy: (nullable): frees @user_data with the wrapper
 *
 * Wraps @func so that it travels to worker processes by value.
 *
 * Returns: (transfer full): the wrapped function
 *
 * Since: 1.0
 */
PmapWrapped *
pmap_wrapped_new (PmapFunc       func,
                  gpointer       user_data,
                  GDestroyNotify destroy)
{
  PmapWrapped *self;

  g_return_val_if_fail (func != NULL, NULL);

  self = g_object_new (PMAP_TYPE_WRAPPED, NULL);
  self->callable = pmap_callable_new (NULL, func, user_data, destroy);
  pmap_callable_set_by_value (self->callable);

  return self;
}

PmapCallable *
pmap_wrapped_get_callable (PmapWrapped *self)
{
  return self->callable;
}

/**
 * pmap_wrapped_new_serialized:
 * @serializer: the serializer that made @function, and whose
 *   [vfunc@Pmap.Serializer.call] runs it
 * @function: what @serializer made of a function; a floating reference
 *   is sunk
 *
 * Wraps a function given as data. On the `processes` backend, @function
 * travels to the workers with @serializer's name, whatever the executor's
 * serializer, and workers run it with their own serializer of that name;
 * other backends run it with @serializer in the calling process.
 *
 * Returns: (transfer full): the wrapped function
 *
 * Since: 1.0
 */
PmapWrapped *
pmap_wrapped_new_serialized (PmapSerializer *serializer,
                             GVariant       *function)
{
  PmapWrapped *self;

  g_return_val_if_fail (PMAP_IS_SERIALIZER (serializer), NULL);
  g_return_val_if_fail (pmap_serializer_get_name (serializer) != NULL, NULL);
  g_return_val_if_fail (function != NULL, NULL);

  self = g_object_new (PMAP_TYPE_WRAPPED, NULL);
  self->callable = pmap_callable_new_serialized (serializer, function);

  return self;
}
