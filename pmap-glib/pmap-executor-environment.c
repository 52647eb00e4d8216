/* pmap-executor-environment.c: an executor's defaults, from the environment
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * PMAP_N_JOBS, PMAP_BACKEND and PMAP_SERIALIZER give a new executor its
 * settings, as joblib's environment does. A variable that names nothing
 * is kept as an error, which the executor's maps report until the setting
 * is given another way (docs/environment.md).
 */

#include "config.h"

#include "pmap-error.h"
#include "pmap-executor-private.h"

/* The number of jobs that PMAP_N_JOBS gives, else -1 (one per processor);
 * -1 with @error set if it is no number of jobs. */
int
pmap_executor_default_n_jobs (GError **error)
{
  const char *text = g_getenv ("PMAP_N_JOBS");
  gint64 value;

  if (text == NULL || text[0] == '\0')
    return -1;

  if (!g_ascii_string_to_signed (text, 10, G_MININT, G_MAXINT, &value, NULL) ||
      value == 0)
    {
      g_set_error (error, PMAP_ERROR, PMAP_ERROR_INVALID_SETTING,
                   "PMAP_N_JOBS is “%s”, which is not a number of jobs; set "
                   "it to a positive number, or to -1 for one job per "
                   "processor", text);
      return -1;
    }

  return value;
}

/* The backend that PMAP_BACKEND names, else threads; NULL with @error set
 * if the variable names no backend. */
PmapBackend *
pmap_executor_default_backend (GError **error)
{
  const char *name = g_getenv ("PMAP_BACKEND");
  PmapBackend *backend;

  if (name == NULL || name[0] == '\0')
    name = "threads";

  backend = pmap_backend_create (name, error);
  if (backend == NULL)
    g_prefix_error (error, "PMAP_BACKEND names no backend: ");

  return backend;
}

/* The serializer that PMAP_SERIALIZER names, else general. */
PmapSerializer *
pmap_executor_default_serializer (GError **error)
{
  const char *name = g_getenv ("PMAP_SERIALIZER");
  PmapSerializer *serializer;

  if (name == NULL || name[0] == '\0')
    name = "general";

  serializer = pmap_serializer_create (name, error);
  if (serializer == NULL)
    g_prefix_error (error, "PMAP_SERIALIZER names no serializer: ");

  return serializer;
}
