/* pmap-function-ref.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A C function travels by value as the build-id of the object it lives in
 * plus its offset there: a worker that runs the same executable, or loads
 * the same library, finds it at the same offset, and a worker whose copy
 * differs has a different build-id and refuses it instead of jumping into
 * the wrong code.
 */

#include "config.h"

#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <string.h>

#include <gmodule.h>

#include "pmap-error.h"
#include "pmap-function-ref-private.h"

typedef struct
{
  /* In: the address to find, or the build-id to match. */
  guintptr       address;
  const guint8  *build_id;
  gsize          build_id_len;

  /* Out. */
  gboolean       found;
  guintptr       base;
  char          *path;
  GBytes        *found_build_id;
} ObjectLookup;

static GBytes *
object_build_id (struct dl_phdr_info *info)
{
  for (int i = 0; i < info->dlpi_phnum; i++)
    {
      const ElfW(Phdr) *phdr = &info->dlpi_phdr[i];
      const guint8 *notes, *end;

      if (phdr->p_type != PT_NOTE)
        continue;

      notes = (const guint8 *) (info->dlpi_addr + phdr->p_vaddr);
      end = notes + phdr->p_memsz;
      while (notes + sizeof (ElfW(Nhdr)) <= end)
        {
          const ElfW(Nhdr) *note = (const ElfW(Nhdr) *) notes;
          const guint8 *name = notes + sizeof *note;
          const guint8 *desc = name + ((note->n_namesz + 3) & ~3u);

          if (desc + note->n_descsz > end)
            break;
          if (note->n_type == NT_GNU_BUILD_ID && note->n_namesz == 4 &&
              memcmp (name, "GNU", 4) == 0)
            return g_bytes_new (desc, note->n_descsz);

          notes = desc + ((note->n_descsz + 3) & ~3u);
        }
    }

  return NULL;
}

static gboolean
object_contains (struct dl_phdr_info *info,
                 guintptr             address)
{
  for (int i = 0; i < info->dlpi_phnum; i++)
    {
      const ElfW(Phdr) *phdr = &info->dlpi_phdr[i];
      guintptr start = info->dlpi_addr + phdr->p_vaddr;

      if (phdr->p_type == PT_LOAD && (phdr->p_flags & PF_X) &&
          address >= start && address < start + phdr->p_memsz)
        return TRUE;
    }

  return FALSE;
}

static int
lookup_object (struct dl_phdr_info *info,
               size_t               size,
               void                *data)
{
  ObjectLookup *lookup = data;
  g_autoptr(GBytes) build_id = NULL;

  if (lookup->build_id == NULL && !object_contains (info, lookup->address))
    return 0;

  build_id = object_build_id (info);

  if (lookup->build_id != NULL)
    {
      gsize len;
      const guint8 *bytes = build_id ? g_bytes_get_data (build_id, &len) : NULL;

      if (bytes == NULL || len != lookup->build_id_len ||
          memcmp (bytes, lookup->build_id, len) != 0)
        return 0;
    }

  lookup->found = TRUE;
  lookup->base = info->dlpi_addr;
  lookup->path = g_strdup (info->dlpi_name);
  lookup->found_build_id = g_steal_pointer (&build_id);
  return 1;
}

static void
object_lookup_clear (ObjectLookup *lookup)
{
  g_clear_pointer (&lookup->path, g_free);
  g_clear_pointer (&lookup->found_build_id, g_bytes_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ObjectLookup, object_lookup_clear)

static GVariant *
address_ref_new (PmapCallable  *callable,
                 gboolean       hosting,
                 GError       **error)
{
  g_auto(ObjectLookup) lookup = { .address = (guintptr) pmap_callable_get_func (callable) };

  dl_iterate_phdr (lookup_object, &lookup);

  /* Before the user data, which a function of Python or JavaScript
   * always has without its author knowing. */
  if (!lookup.found)
    {
      g_set_error_literal (error, PMAP_ERROR, PMAP_ERROR_NOT_SERIALIZABLE,
                           "The function is not compiled code of a loaded "
                           "program or library (a function of Python or "
                           "JavaScript, say), so it cannot travel to a worker "
                           "process; register a native function by name, or "
                           "use the “threads” backend");
      return NULL;
    }

  if (pmap_callable_get_user_data (callable) != NULL)
    {
      g_set_error_literal (error, PMAP_ERROR, PMAP_ERROR_NOT_SERIALIZABLE,
                           "The function (argument “func”) comes with user "
                           "data, a pointer that means nothing in a worker "
                           "process; pass what it points to in the inputs, "
                           "register the function by name in a module, or "
                           "use the “threads” backend");
      return NULL;
    }

  if (lookup.found_build_id == NULL)
    {
      g_set_error (error, PMAP_ERROR, PMAP_ERROR_NOT_SERIALIZABLE,
                   "The function lives in %s, which has no GNU build-id to "
                   "check a worker's copy against; link it with "
                   "-Wl,--build-id, or register the function by name",
                   lookup.path[0] ? lookup.path : "the program");
      return NULL;
    }

  if (lookup.path[0] == '\0' && !hosting)
    {
      g_set_error_literal (error, PMAP_ERROR, PMAP_ERROR_NOT_SERIALIZABLE,
                           "The function lives in the program itself, which "
                           "the pmap-worker helper cannot load; call "
                           "pmap_host_workers() at the start of main() so "
                           "that workers run this program, or register the "
                           "function in a module loaded with "
                           "pmap_load_module()");
      return NULL;
    }

  return g_variant_ref_sink (
    g_variant_new ("(s@v)", "address",
                   g_variant_new_variant (
                     g_variant_new ("(@ayst)",
                                    g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE,
                                                               g_bytes_get_data (lookup.found_build_id, NULL),
                                                               g_bytes_get_size (lookup.found_build_id),
                                                               1),
                                    lookup.path,
                                    (guint64) (lookup.address - lookup.base)))));
}

GVariant *
pmap_function_ref_new (PmapCallable  *callable,
                       gboolean       functions_by_value,
                       gboolean       hosting,
                       GError       **error)
{
  const char *name = pmap_callable_get_name (callable);
  const char *module = pmap_callable_get_module (callable);
  gboolean has_user_data = pmap_callable_get_user_data (callable) != NULL;

  if (pmap_callable_get_ref (callable) != NULL)
    return g_variant_ref (pmap_callable_get_ref (callable));

  if (pmap_callable_get_by_value (callable))
    return address_ref_new (callable, hosting, error);

  /* A name that a module registers is found again by loading the module;
   * one that the program registers, by the worker's own registration,
   * unless the function can travel by value, which needs none. */
  if (name != NULL &&
      (module != NULL || !functions_by_value || has_user_data))
    return g_variant_ref_sink (g_variant_new ("(s@v)", "name",
                                              g_variant_new_variant (g_variant_new ("(ss)", name,
                                                                                    module ? module : ""))));

  if (!functions_by_value)
    {
      g_set_error_literal (error, PMAP_ERROR, PMAP_ERROR_NOT_SERIALIZABLE,
                           "The function (argument “func”) has no registered "
                           "name, and the “variant” serializer carries "
                           "functions only by name; register it with "
                           "pmap_register_function(), wrap it in a PmapWrapped "
                           "so that it alone travels by value, or use the "
                           "“general” serializer");
      return NULL;
    }

  return address_ref_new (callable, hosting, error);
}

static PmapCallable *
resolve_address (GVariant  *value,
                 GError   **error)
{
  g_autoptr(GVariant) build_id = NULL;
  g_auto(ObjectLookup) lookup = { 0 };
  const char *path;
  guint64 offset;

  g_variant_get (value, "(@ay&st)", &build_id, &path, &offset);
  lookup.build_id = g_variant_get_fixed_array (build_id, &lookup.build_id_len, 1);

  dl_iterate_phdr (lookup_object, &lookup);
  if (!lookup.found && path[0] != '\0')
    {
      GModule *module = g_module_open (path, G_MODULE_BIND_LAZY | G_MODULE_BIND_LOCAL);

      if (module != NULL)
        {
          g_module_make_resident (module);
          dl_iterate_phdr (lookup_object, &lookup);
        }
    }

  if (!lookup.found)
    {
      g_set_error (error, PMAP_ERROR, PMAP_ERROR_NOT_SERIALIZABLE,
                   "The worker has no copy of %s with the parent's build-id: "
                   "its program or library differs from the parent's; run "
                   "the same build in both, or register the function by name",
                   path[0] ? path : "the parent program");
      return NULL;
    }

  return pmap_callable_new (NULL, (PmapFunc) (lookup.base + offset), NULL, NULL);
}

static PmapCallable *
resolve_serialized (GVariant  *value,
                    GError   **error)
{
  g_autoptr(PmapSerializer) serializer = NULL;
  g_autoptr(GVariant) function = NULL;
  const char *name;

  g_variant_get (value, "(&sv)", &name, &function);
  serializer = pmap_serializer_create (name, error);
  if (serializer == NULL)
    return NULL;

  return pmap_callable_new_serialized (serializer, function);
}

PmapCallable *
pmap_function_ref_resolve (GVariant  *ref,
                           GError   **error)
{
  g_autoptr(GVariant) value = NULL;
  const char *kind;

  g_variant_get (ref, "(&sv)", &kind, &value);

  if (g_str_equal (kind, "name") && g_variant_is_of_type (value, G_VARIANT_TYPE ("(ss)")))
    {
      const char *name, *module;

      g_variant_get (value, "(&s&s)", &name, &module);
      if (module[0] != '\0' && !pmap_function_is_registered (name) &&
          !pmap_load_module (module, error))
        return NULL;

      return pmap_callable_lookup (name, error);
    }

  if (g_str_equal (kind, "address") && g_variant_is_of_type (value, G_VARIANT_TYPE ("(ayst)")))
    return resolve_address (value, error);

  if (g_str_equal (kind, "serialized") && g_variant_is_of_type (value, G_VARIANT_TYPE ("(sv)")))
    return resolve_serialized (value, error);

  g_set_error (error, PMAP_ERROR, PMAP_ERROR_PROTOCOL,
               "Unknown function reference of kind “%s” and type %s",
               kind, g_variant_get_type_string (value));
  return NULL;
}
