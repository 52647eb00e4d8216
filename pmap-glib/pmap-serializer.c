/* pmap-serializer.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "pmap-error.h"
#include "pmap-serializer-private.h"

/**
 * PmapSerializer:
 *
 * Decides how a map's function and values travel to worker processes: the
 * counterpart of joblib's choice between cloudpickle and pickle
 * (`LOKY_PICKLER`). Backends that run tasks in the calling process never
 * serialize anything.
 *
 * pmap-glib comes with two serializers, found by name with
 * [func@Pmap.Serializer.create]:
 *
 * - `general`, the default: a function registered by a module travels by
 *   name, any other C function by value, as the build-id of the program or
 *   library that holds it and its offset there, which a worker running a
 *   different build refuses. Values travel as GVariants in normal form,
 *   with no conversion, so a large argument costs a copy, not an encoding.
 * - `variant`, the fast and strict one: values as `general`, but functions
 *   only by registered name. A function that has none is refused with
 *   %PMAP_ERROR_NOT_SERIALIZABLE, unless [class@Pmap.Wrapped] marks it to
 *   travel by value all the same.
 *
 * The executor's [property@Pmap.Executor:serializer] defaults to the one
 * that `PMAP_SERIALIZER` names.
 *
 * A serializer of one's own subclasses `PmapSerializer` and implements
 * [vfunc@Pmap.Serializer.encode] and [vfunc@Pmap.Serializer.decode]; the
 * base class passes values through unchanged. Worker processes find a
 * serializer by its [property@Pmap.Serializer:name]: besides the built-in
 * ones, a worker knows those that [func@Pmap.Serializer.register] made
 * known before it served its first task, in the program that hosts it
 * (see [func@Pmap.host_workers] and [func@Pmap.set_worker_command]). A
 * subclass that takes a built-in's name runs its own encode() and
 * decode() in the calling process and must turn values into what that
 * built-in reads in the worker.
 *
 * A serializer can also carry functions that no C pointer names, such as
 * those of an interpreted language: it turns the function into data,
 * which [ctor@Pmap.Wrapped.new_serialized] hands to a map, and its
 * [vfunc@Pmap.Serializer.call] runs that data on an input, in the worker
 * process or, on the backends that run tasks in the calling process,
 * there. This is how the Python and JavaScript layers of pmap-glib run
 * their functions in worker processes of their own interpreter.
 *
 * Since: 1.0
 */

typedef struct
{
  char     *name;
  gboolean  functions_by_value;
} PmapSerializerPrivate;

enum {
  PROP_0,
  PROP_NAME,
  PROP_FUNCTIONS_BY_VALUE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_TYPE_WITH_PRIVATE (PmapSerializer, pmap_serializer, G_TYPE_OBJECT)

static GVariant *
pmap_serializer_real_encode (PmapSerializer  *self,
                             GVariant        *value,
                             GError         **error)
{
  return g_variant_ref (value);
}

static GVariant *
pmap_serializer_real_decode (PmapSerializer  *self,
                             GVariant        *data,
                             GError         **error)
{
  return g_variant_ref (data);
}

static GVariant *
pmap_serializer_real_call (PmapSerializer  *self,
                           GVariant        *function,
                           GVariant        *input,
                           GError         **error)
{
  g_set_error (error, PMAP_ERROR, PMAP_ERROR_NOT_SERIALIZABLE,
               "The serializer “%s” (%s) cannot run a function given as "
               "data: it does not implement call()",
               pmap_serializer_get_name (self), G_OBJECT_TYPE_NAME (self));
  return NULL;
}

static void
pmap_serializer_finalize (GObject *object)
{
  PmapSerializer *self = (PmapSerializer *)object;
  PmapSerializerPrivate *priv = pmap_serializer_get_instance_private (self);

  g_clear_pointer (&priv->name, g_free);

  G_OBJECT_CLASS (pmap_serializer_parent_class)->finalize (object);
}

static void
pmap_serializer_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  PmapSerializer *self = PMAP_SERIALIZER (object);

  switch (prop_id)
    {
    case PROP_NAME:
      g_value_set_string (value, pmap_serializer_get_name (self));
      break;

    case PROP_FUNCTIONS_BY_VALUE:
      g_value_set_boolean (value, pmap_serializer_get_functions_by_value (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pmap_serializer_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  PmapSerializer *self = PMAP_SERIALIZER (object);
  PmapSerializerPrivate *priv = pmap_serializer_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_NAME:
      priv->name = g_value_dup_string (value);
      break;

    case PROP_FUNCTIONS_BY_VALUE:
      priv->functions_by_value = g_value_get_boolean (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pmap_serializer_class_init (PmapSerializerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = pmap_serializer_finalize;
  object_class->get_property = pmap_serializer_get_property;
  object_class->set_property = pmap_serializer_set_property;

  klass->encode = pmap_serializer_real_encode;
  klass->decode = pmap_serializer_real_decode;
  klass->call = pmap_serializer_real_call;

  /**
   * PmapSerializer:name:
   *
   * The serializer's name, as [func@Pmap.Serializer.create] and
   * `PMAP_SERIALIZER` know it. Workers find the same serializer by this
   * name.
   *
   * Since: 1.0
   */
  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE |
                          G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_STATIC_STRINGS));

  /**
   * PmapSerializer:functions-by-value:
   *
   * Whether a function that no module registers may travel by value. When
   * %FALSE, only functions registered by name and functions wrapped in a
   * [class@Pmap.Wrapped] reach worker processes.
   *
   * Since: 1.0
   */
  properties[PROP_FUNCTIONS_BY_VALUE] =
    g_param_spec_boolean ("functions-by-value", NULL, NULL,
                          TRUE,
                          (G_PARAM_READWRITE |
                           G_PARAM_CONSTRUCT_ONLY |
                           G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
pmap_serializer_init (PmapSerializer *self)
{
}

G_LOCK_DEFINE_STATIC (registered);
/* Names to the GTypes of the serializers that were registered. */
static GHashTable *registered;

/**
 * pmap_serializer_register:
 * @name: (not nullable): the name that finds the serializer
 * @type: a subclass of [class@Pmap.Serializer]
 *
 * Makes a serializer class known by @name to [func@Pmap.Serializer.create],
 * to `PMAP_SERIALIZER` and to the worker processes of a program that
 * registers it before it serves tasks. The serializer is created with
 * g_object_new() and @name as its [property@Pmap.Serializer:name].
 *
 * Registering a name again replaces its class; the built-in names
 * `general` and `variant` cannot be taken.
 *
 * Since: 1.0
 */
void
pmap_serializer_register (const char *name,
                          GType       type)
{
  g_return_if_fail (name != NULL);
  g_return_if_fail (g_type_is_a (type, PMAP_TYPE_SERIALIZER));
  g_return_if_fail (!g_str_equal (name, "general") && !g_str_equal (name, "variant"));

  G_LOCK (registered);
  if (registered == NULL)
    registered = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_hash_table_insert (registered, g_strdup (name), GSIZE_TO_POINTER (type));
  G_UNLOCK (registered);
}

static GType
lookup_registered (const char *name)
{
  GType type = G_TYPE_INVALID;

  G_LOCK (registered);
  if (registered != NULL)
    type = GPOINTER_TO_SIZE (g_hash_table_lookup (registered, name));
  G_UNLOCK (registered);

  return type;
}

/**
 * pmap_serializer_create:
 * @name: (not nullable): a serializer's name: `general`, `variant` or one
 *   given to [func@Pmap.Serializer.register]
 * @error: return location for an error
 *
 * Creates a serializer of the kind named @name.
 *
 * Returns: (transfer full): the new serializer, or %NULL with
 *   %PMAP_ERROR_UNKNOWN_SERIALIZER set if no serializer has that name
 *
 * Since: 1.0
 */
PmapSerializer *
pmap_serializer_create (const char  *name,
                        GError     **error)
{
  GType type;

  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (g_str_equal (name, "general") || g_str_equal (name, "variant"))
    return g_object_new (PMAP_TYPE_SERIALIZER,
                         "name", name,
                         "functions-by-value", g_str_equal (name, "general"),
                         NULL);

  type = lookup_registered (name);
  if (type != G_TYPE_INVALID)
    return g_object_new (type, "name", name, NULL);

  g_set_error (error, PMAP_ERROR, PMAP_ERROR_UNKNOWN_SERIALIZER,
               "There is no serializer named “%s”; the serializers are "
               "“general” (the default), “variant” and those that a "
               "binding or the program registers (“pickle” and "
               "“cloudpickle” in Python)", name);
  return NULL;
}

/**
 * pmap_serializer_get_name:
 * @self: a serializer
 *
 * Gets the serializer's name.
 *
 * Returns: (nullable): the name, or %NULL for a serializer that gave none
 *
 * Since: 1.0
 */
const char *
pmap_serializer_get_name (PmapSerializer *self)
{
  PmapSerializerPrivate *priv = pmap_serializer_get_instance_private (self);

  g_return_val_if_fail (PMAP_IS_SERIALIZER (self), NULL);

  return priv->name;
}

/**
 * pmap_serializer_get_functions_by_value:
 * @self: a serializer
 *
 * Gets [property@Pmap.Serializer:functions-by-value].
 *
 * Returns: whether functions without a registered name may travel by value
 *
 * Since: 1.0
 */
gboolean
pmap_serializer_get_functions_by_value (PmapSerializer *self)
{
  PmapSerializerPrivate *priv = pmap_serializer_get_instance_private (self);

  g_return_val_if_fail (PMAP_IS_SERIALIZER (self), FALSE);

  return priv->functions_by_value;
}

gboolean
pmap_serializer_passes_values_through (PmapSerializer *self)
{
  PmapSerializerClass *klass = PMAP_SERIALIZER_GET_CLASS (self);

  return klass->encode == pmap_serializer_real_encode &&
         klass->decode == pmap_serializer_real_decode;
}

/**
 * pmap_serializer_encode: (virtual encode)
 * @self: a serializer
 * @value: an input or a result
 * @error: return location for an error
 *
 * Turns @value into the GVariant that travels between processes.
 *
 * Returns: (transfer full): the encoded value, or %NULL with @error set
 *   if @value cannot travel
 *
 * Since: 1.0
 */
GVariant *
pmap_serializer_encode (PmapSerializer  *self,
                        GVariant        *value,
                        GError         **error)
{
  g_return_val_if_fail (PMAP_IS_SERIALIZER (self), NULL);
  g_return_val_if_fail (value != NULL, NULL);

  return PMAP_SERIALIZER_GET_CLASS (self)->encode (self, value, error);
}

/**
 * pmap_serializer_decode: (virtual decode)
 * @self: a serializer
 * @data: what [method@Pmap.Serializer.encode] made of a value
 * @error: return location for an error
 *
 * Turns what travelled back into the value.
 *
 * Returns: (transfer full): the value, or %NULL with @error set
 *
 * Since: 1.0
 */
GVariant *
pmap_serializer_decode (PmapSerializer  *self,
                        GVariant        *data,
                        GError         **error)
{
  g_return_val_if_fail (PMAP_IS_SERIALIZER (self), NULL);
  g_return_val_if_fail (data != NULL, NULL);

  return PMAP_SERIALIZER_GET_CLASS (self)->decode (self, data, error);
}

/**
 * pmap_serializer_call: (virtual call)
 * @self: a serializer
 * @function: what this serializer made of a function, as given to
 *   [ctor@Pmap.Wrapped.new_serialized]
 * @input: a task's input
 * @error: return location for an error
 *
 * Runs the function that @function describes on @input, and returns its
 * result. It runs in worker processes, and on the threads backend on
 * several threads at once.
 *
 * The base class knows no function given as data and fails with
 * %PMAP_ERROR_NOT_SERIALIZABLE.
 *
 * Returns: (transfer full): the result, or %NULL with @error set
 *
 * Since: 1.0
 */
GVariant *
pmap_serializer_call (PmapSerializer  *self,
                      GVariant        *function,
                      GVariant        *input,
                      GError         **error)
{
  g_return_val_if_fail (PMAP_IS_SERIALIZER (self), NULL);
  g_return_val_if_fail (function != NULL, NULL);
  g_return_val_if_fail (input != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return PMAP_SERIALIZER_GET_CLASS (self)->call (self, function, input, error);
}
