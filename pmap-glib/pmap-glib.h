/* pmap-glib.h: the one header to include
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib-object.h>
#include <gio/gio.h>

#define PMAP_GLIB_INSIDE
# include "pmap-version.h"
# include "pmap-version-macros.h"
# include "pmap-enum-types.h"
# include "pmap-error.h"
# include "pmap-function.h"
# include "pmap-job.h"
# include "pmap-backend.h"
# include "pmap-serializer.h"
# include "pmap-wrapped.h"
# include "pmap-outcome.h"
# include "pmap-bytes.h"
# include "pmap-executor.h"
# include "pmap-worker.h"
# include "pmap-javascript.h"
#undef PMAP_GLIB_INSIDE
