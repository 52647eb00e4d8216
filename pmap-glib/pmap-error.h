/* pmap-error.h: the PMAP_ERROR domain
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(PMAP_GLIB_INSIDE) && !defined(PMAP_GLIB_COMPILATION)
# error "Only <pmap-glib/pmap-glib.h> can be included directly."
#endif

#include "pmap-version-macros.h"

G_BEGIN_DECLS

/**
 * PMAP_ERROR:
 *
 * The error domain of pmap-glib. Errors in it carry a [enum@Pmap.Error]
 * code.
 *
 * Since: 1.0
 */
#define PMAP_ERROR (pmap_error_quark ())

/**
 * PmapError:
 * @PMAP_ERROR_FAILED: a task failed without saying why in its own
 *   error domain; the message names the task's index and carries what is
 *   known, such as the text of a Python exception.
 * @PMAP_ERROR_INVALID_SETTING: a setting cannot be used: a malformed
 *   `PMAP_N_JOBS` value, for instance. The message names the setting and
 *   the values it accepts.
 * @PMAP_ERROR_UNKNOWN_BACKEND: no backend has the requested name, either
 *   given to [func@Pmap.Backend.create] or in `PMAP_BACKEND`.
 * @PMAP_ERROR_UNKNOWN_FUNCTION: no function is registered under the
 *   requested name; register it with [func@Pmap.register_function] or
 *   load the module that does with [func@Pmap.load_module].
 * @PMAP_ERROR_MISSING_RESULT: a function returned no value without
 *   setting an error.
 * @PMAP_ERROR_WRONG_THREAD: a function that may only run on the thread
 *   that started the map (a JavaScript function, in GJS) was handed to a
 *   backend that runs tasks on other threads. Use the `sequential`
 *   backend, or a native function registered by name.
 * @PMAP_ERROR_MODULE: a module given to [func@Pmap.load_module] could
 *   not be loaded or does not export `pmap_module_register()`.
 * @PMAP_ERROR_NOT_SERIALIZABLE: the function or an input cannot travel to
 *   a worker process; the message says which and what to do instead.
 * @PMAP_ERROR_WORKER_CRASHED: a worker process died while it ran a task;
 *   the message names the task, the worker and the signal or exit status.
 * @PMAP_ERROR_PROTOCOL: a worker process sent something that is not a
 *   valid message of the worker protocol; the worker was stopped.
 * @PMAP_ERROR_WORKER_START: a worker process could not be started, or did
 *   not open the conversation as the worker protocol requires, such as a
 *   worker of another protocol version; the message names the program.
 * @PMAP_ERROR_UNKNOWN_SERIALIZER: no serializer has the requested name,
 *   either given to [func@Pmap.Serializer.create] or in `PMAP_SERIALIZER`.
 * @PMAP_ERROR_TIMED_OUT: a task ran longer than the executor's
 *   [property@Pmap.Executor:timeout]; the worker process running it was
 *   killed and replaced.
 * @PMAP_ERROR_MEMORY_LIMIT: the worker process running a task grew past
 *   twice its backend's [property@Pmap.Backend:max-worker-memory]; it was
 *   killed and replaced.
 * @PMAP_ERROR_FORKED: the map was started on the `threads` or `processes`
 *   backend in a copy of a process made by `fork()` without `exec()`,
 *   after pmap-glib had started threads in the original: the copy has
 *   none of them. Start such processes with `exec()` (in Python,
 *   multiprocessing's `spawn` or `forkserver` start method), or use the
 *   `sequential` backend in them.
 *
 * Error codes of the %PMAP_ERROR domain. An error that a task's function
 * returns keeps its own domain and code; pmap-glib prefixes its message
 * with the index of the failing task.
 *
 * Since: 1.0
 */
typedef enum {
  PMAP_ERROR_FAILED,
  PMAP_ERROR_INVALID_SETTING,
  PMAP_ERROR_UNKNOWN_BACKEND,
  PMAP_ERROR_UNKNOWN_FUNCTION,
  PMAP_ERROR_MISSING_RESULT,
  PMAP_ERROR_WRONG_THREAD,
  PMAP_ERROR_MODULE,
  PMAP_ERROR_NOT_SERIALIZABLE,
  PMAP_ERROR_WORKER_CRASHED,
  PMAP_ERROR_PROTOCOL,
  PMAP_ERROR_WORKER_START,
  PMAP_ERROR_UNKNOWN_SERIALIZER,
  PMAP_ERROR_TIMED_OUT,
  PMAP_ERROR_MEMORY_LIMIT,
  PMAP_ERROR_FORKED,
} PmapError;

PMAP_AVAILABLE_IN_1_0
GQuark pmap_error_quark (void);

G_END_DECLS
