/* test-javascript.c: the JavaScript layer that the library carries
 *
 * The module itself is tested from GJS (introspection/tests/gjs); here, that
 * the URI that pmap_get_javascript_module() names is there once the library
 * is loaded, with the modules that it imports.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "pmap-test-util.h"

#define RESOURCE_SCHEME "resource://"

static GBytes *
lookup (const char *path)
{
  g_autoptr(GError) error = NULL;
  GBytes *data = g_resources_lookup_data (path, G_RESOURCE_LOOKUP_FLAGS_NONE, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (data), >, 0);
  return data;
}

static void
test_module_uri (void)
{
  const char *uri = pmap_get_javascript_module ();
  const char *path;
  g_autoptr(GBytes) module = NULL;
  g_autofree char *text = NULL;

  g_assert_true (g_str_has_prefix (uri, RESOURCE_SCHEME));
  g_assert_true (g_str_has_suffix (uri, ".js"));
  path = uri + strlen (RESOURCE_SCHEME);
  module = lookup (path);

  /* An ES module that exports the map. */
  text = g_strndup (g_bytes_get_data (module, NULL), g_bytes_get_size (module));
  g_assert_nonnull (strstr (text, "export function map("));
  g_assert_nonnull (strstr (text, "export function mapAsync("));
}

/* Every module that the main one imports, relatively, is beside it. */
static void
test_imports_resolve (void)
{
  const char *uri = pmap_get_javascript_module ();
  g_autofree char *dir = g_path_get_dirname (uri + strlen (RESOURCE_SCHEME));
  g_autoptr(GBytes) module = lookup (uri + strlen (RESOURCE_SCHEME));
  g_autofree char *text = g_strndup (g_bytes_get_data (module, NULL),
                                     g_bytes_get_size (module));
  g_autoptr(GRegex) import = g_regex_new ("from '\\./([a-z-]+\\.js)'", 0, 0, NULL);
  g_autoptr(GMatchInfo) match = NULL;
  guint n_imports = 0;

  g_regex_match (import, text, 0, &match);
  while (g_match_info_matches (match))
    {
      g_autofree char *name = g_match_info_fetch (match, 1);
      g_autofree char *path = g_build_path ("/", dir, name, NULL);

      g_bytes_unref (lookup (path));

      n_imports++;
      g_match_info_next (match, NULL);
    }

  g_assert_cmpuint (n_imports, >, 0);
}

int
main (int   argc,
      char *argv[])
{
  test_init (&argc, &argv);

  g_test_add_func ("/Pmap/JavaScript/module-uri", test_module_uri);
  g_test_add_func ("/Pmap/JavaScript/imports-resolve", test_imports_resolve);

  return g_test_run ();
}
