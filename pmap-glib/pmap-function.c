/* pmap-function.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <dlfcn.h>
#include <string.h>
#include <gmodule.h>

#include "pmap-error.h"
#include "pmap-function-private.h"
#include "pmap-serializer.h"

struct _PmapCallable
{
  gatomicrefcount  ref_count;
  char            *name;
  char            *module;
  PmapFunc         func;
  gpointer         user_data;
  GDestroyNotify   destroy;
  guint            thread_bound : 1;
  guint            by_value : 1;

  /* How a function given as data is named to workers; see
   * pmap_callable_new_serialized(). */
  GVariant        *ref;
};

G_LOCK_DEFINE_STATIC (registry);
static GHashTable *registry;

/* The path of the module whose pmap_module_register() this thread runs. */
static GPrivate loading_module;

/* GJS runs JavaScript only on its main thread: a JS function called from
 * another thread logs a critical and returns NULL. Such a function reaches
 * us as a libffi trampoline, which lies outside every loaded object, while
 * any compiled function (C, Vala) lies inside one. */
static gboolean
func_is_javascript (PmapFunc func)
{
  Dl_info info;

  if (g_type_from_name ("GjsContext") == 0)
    return FALSE;

  return dladdr ((gpointer) func, &info) == 0;
}

PmapCallable *
pmap_callable_new (const char     *name,
                   PmapFunc        func,
                   gpointer        user_data,
                   GDestroyNotify  destroy)
{
  PmapCallable *self;

  g_assert (func != NULL);

  self = g_new0 (PmapCallable, 1);
  g_atomic_ref_count_init (&self->ref_count);
  self->name = g_strdup (name);
  self->module = g_strdup (g_private_get (&loading_module));
  self->func = func;
  self->user_data = user_data;
  self->destroy = destroy;
  self->thread_bound = func_is_javascript (func);

  return self;
}

PmapCallable *
pmap_callable_ref (PmapCallable *self)
{
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
pmap_callable_unref (PmapCallable *self)
{
  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;

  if (self->destroy != NULL)
    self->destroy (self->user_data);
  g_clear_pointer (&self->ref, g_variant_unref);
  g_free (self->name);
  g_free (self->module);
  g_free (self);
}

const char *
pmap_callable_get_name (PmapCallable *self)
{
  return self->name;
}

/* Marks the function to travel by value whatever the serializer says. */
void
pmap_callable_set_by_value (PmapCallable *self)
{
  self->by_value = TRUE;
}

gboolean
pmap_callable_get_by_value (PmapCallable *self)
{
  return self->by_value;
}

/* The module that registered the function, if one did. */
const char *
pmap_callable_get_module (PmapCallable *self)
{
  return self->module;
}

PmapFunc
pmap_callable_get_func (PmapCallable *self)
{
  return self->func;
}

gpointer
pmap_callable_get_user_data (PmapCallable *self)
{
  return self->user_data;
}

typedef struct
{
  PmapSerializer *serializer;
  GVariant       *function;
} SerializedFunction;

static void
serialized_function_free (gpointer data)
{
  SerializedFunction *serialized = data;

  g_object_unref (serialized->serializer);
  g_variant_unref (serialized->function);
  g_free (serialized);
}

static GVariant *
call_serialized (GVariant  *input,
                 gpointer   user_data,
                 GError   **error)
{
  SerializedFunction *serialized = user_data;

  return pmap_serializer_call (serialized->serializer, serialized->function,
                               input, error);
}

/* A function that @serializer made into @function, which its call() runs.
 * It travels to workers as itself, with the serializer's name, whatever
 * the map's serializer. */
PmapCallable *
pmap_callable_new_serialized (PmapSerializer *serializer,
                              GVariant       *function)
{
  SerializedFunction *serialized = g_new0 (SerializedFunction, 1);
  PmapCallable *self;

  serialized->serializer = g_object_ref (serializer);
  serialized->function = g_variant_ref_sink (function);

  self = pmap_callable_new (NULL, call_serialized, serialized, serialized_function_free);
  /* A call() written in JavaScript is bound to GJS's main thread. */
  self->thread_bound =
    func_is_javascript ((PmapFunc) PMAP_SERIALIZER_GET_CLASS (serializer)->call);
  self->by_value = TRUE;
  self->ref = g_variant_ref_sink (g_variant_new ("(s@v)", "serialized",
                                                 g_variant_new_variant (
                                                   g_variant_new ("(s@v)",
                                                                  pmap_serializer_get_name (serializer),
                                                                  g_variant_new_variant (function)))));

  return self;
}

/* The reference that workers find the function by, if it carries one. */
GVariant *
pmap_callable_get_ref (PmapCallable *self)
{
  return self->ref;
}

gboolean
pmap_callable_is_thread_bound (PmapCallable *self)
{
  return self->thread_bound;
}

GVariant *
pmap_callable_invoke (PmapCallable  *self,
                      GVariant      *input,
                      GError       **error)
{
  GError *local_error = NULL;
  GVariant *result;

  result = self->func (input, self->user_data, &local_error);

  if (result != NULL)
    {
      /* A result with an error set is a bug in the function; trust the
       * error, as GIO does. */
      if (local_error != NULL)
        {
          g_variant_unref (g_variant_take_ref (result));
          g_propagate_error (error, local_error);
          return NULL;
        }

      return g_variant_take_ref (result);
    }

  if (local_error == NULL)
    local_error = g_error_new (PMAP_ERROR, PMAP_ERROR_MISSING_RESULT,
                               "The function returned no value and set no "
                               "error; return a GVariant, or set the GError "
                               "to report a failure");

  g_propagate_error (error, local_error);
  return NULL;
}

/**
 * pmap_register_function:
 * @name: (not nullable): the name to register @func under
 * @func: (scope notified) (closure user_data) (destroy destroy): the
 *   function
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data when the function is unregistered
 *   or replaced and no running map uses it any longer
 *
 * Registers @func under @name, so that [method@Pmap.Executor.map_by_name]
 * can run it. A function registered under a name that is already taken
 * replaces the previous one; maps that are running keep the one they
 * started with.
 *
 * Worker processes of the `processes` backend find a function by name
 * when a module registered it, since they load the same module, or when
 * the program registered it before calling [func@Pmap.host_workers],
 * since they run the program up to that call. They call it with the
 * @user_data of their own registration: user data never travels between
 * processes.
 *
 * Since: 1.0
 */
void
pmap_register_function (const char     *name,
                        PmapFunc        func,
                        gpointer        user_data,
                        GDestroyNotify  destroy)
{
  PmapCallable *callable;
  PmapCallable *replaced = NULL;

  g_return_if_fail (name != NULL && name[0] != '\0');
  g_return_if_fail (func != NULL);

  callable = pmap_callable_new (name, func, user_data, destroy);

  G_LOCK (registry);
  if (registry == NULL)
    registry = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                      (GDestroyNotify) pmap_callable_unref);
  g_hash_table_steal_extended (registry, name, NULL, (gpointer *) &replaced);
  g_hash_table_insert (registry, callable->name, callable);
  G_UNLOCK (registry);

  /* Outside the lock, as in pmap_unregister_function(). */
  if (replaced != NULL)
    pmap_callable_unref (replaced);
}

/**
 * pmap_unregister_function:
 * @name: (not nullable): a registered name
 *
 * Removes the function registered under @name. Maps that are running keep
 * using it until they finish.
 *
 * Returns: %TRUE if a function was registered under @name
 *
 * Since: 1.0
 */
gboolean
pmap_unregister_function (const char *name)
{
  PmapCallable *callable = NULL;

  g_return_val_if_fail (name != NULL, FALSE);

  G_LOCK (registry);
  if (registry != NULL)
    g_hash_table_steal_extended (registry, name, NULL, (gpointer *) &callable);
  G_UNLOCK (registry);

  /* Outside the lock: the destroy notify may call back into the registry. */
  if (callable == NULL)
    return FALSE;

  pmap_callable_unref (callable);
  return TRUE;
}

static int
compare_names (gconstpointer a,
               gconstpointer b,
               gpointer      user_data)
{
  return strcmp (*(char * const *) a, *(char * const *) b);
}

/**
 * pmap_list_functions:
 *
 * Lists the names of the registered functions, sorted.
 *
 * Returns: (transfer full) (array zero-terminated=1): the names
 *
 * Since: 1.0
 */
char **
pmap_list_functions (void)
{
  g_autofree const char **names = NULL;
  char **copy;
  guint n = 0;

  G_LOCK (registry);
  if (registry != NULL)
    names = (const char **) g_hash_table_get_keys_as_array (registry, &n);
  copy = g_new0 (char *, n + 1);
  for (guint i = 0; i < n; i++)
    copy[i] = g_strdup (names[i]);
  G_UNLOCK (registry);

  g_qsort_with_data (copy, n, sizeof (char *), compare_names, NULL);
  return copy;
}

gboolean
pmap_function_is_registered (const char *name)
{
  gboolean registered;

  G_LOCK (registry);
  registered = registry != NULL && g_hash_table_contains (registry, name);
  G_UNLOCK (registry);

  return registered;
}

PmapCallable *
pmap_callable_lookup (const char  *name,
                      GError     **error)
{
  PmapCallable *callable = NULL;

  G_LOCK (registry);
  if (registry != NULL)
    callable = g_hash_table_lookup (registry, name);
  if (callable != NULL)
    pmap_callable_ref (callable);
  G_UNLOCK (registry);

  if (callable == NULL)
    g_set_error (error, PMAP_ERROR, PMAP_ERROR_UNKNOWN_FUNCTION,
                 "No function is registered under the name “%s”; register it "
                 "with pmap_register_function(), or load the module that "
                 "does with pmap_load_module()", name);

  return callable;
}

/**
 * pmap_load_module:
 * @path: (type filename): the path of a loadable module
 * @error: return location for an error
 *
 * Loads the module at @path and calls the `pmap_module_register()` function
 * it exports (a [callback@Pmap.ModuleRegisterFunc]), which registers its
 * functions with [func@Pmap.register_function]. The module stays loaded
 * for the life of the process, since the functions it registered live in
 * it.
 *
 * This is how a program written in a language whose functions cannot run
 * on other threads, such as JavaScript, maps native code in parallel.
 *
 * Returns: %TRUE if the module was loaded and registered its functions
 *
 * Since: 1.0
 */
gboolean
pmap_load_module (const char  *path,
                  GError     **error)
{
  GModule *module;
  PmapModuleRegisterFunc register_func = NULL;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  module = g_module_open (path, G_MODULE_BIND_LAZY | G_MODULE_BIND_LOCAL);
  if (module == NULL)
    {
      g_set_error (error, PMAP_ERROR, PMAP_ERROR_MODULE,
                   "Could not load the module “%s”: %s", path,
                   g_module_error ());
      return FALSE;
    }

  if (!g_module_symbol (module, "pmap_module_register",
                        (gpointer *) &register_func) ||
      register_func == NULL)
    {
      g_set_error (error, PMAP_ERROR, PMAP_ERROR_MODULE,
                   "The module “%s” does not export pmap_module_register(); "
                   "define it there and register the module’s functions "
                   "from it", path);
      g_module_close (module);
      return FALSE;
    }

  g_module_make_resident (module);
  g_private_set (&loading_module, (gpointer) path);
  register_func ();
  g_private_set (&loading_module, NULL);
  return TRUE;
}
