/* pmap-function-private.h: a function together with its data
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "pmap-function.h"
#include "pmap-serializer.h"

G_BEGIN_DECLS

/* What a job calls for each input: a PmapFunc with its data, refcounted so
 * that the registry and running maps can share it. The last unref runs
 * @destroy, so owners drop their reference on the caller's thread. */
typedef struct _PmapCallable PmapCallable;

PmapCallable *pmap_callable_new            (const char     *name,
                                            PmapFunc        func,
                                            gpointer        user_data,
                                            GDestroyNotify  destroy);
PmapCallable *pmap_callable_new_serialized (PmapSerializer *serializer,
                                            GVariant       *function);
PmapCallable *pmap_callable_lookup         (const char     *name,
                                            GError        **error);
PmapCallable *pmap_callable_ref            (PmapCallable   *self);
void          pmap_callable_unref          (PmapCallable   *self);
const char   *pmap_callable_get_name       (PmapCallable   *self);
const char   *pmap_callable_get_module     (PmapCallable   *self);
PmapFunc      pmap_callable_get_func       (PmapCallable   *self);
gpointer      pmap_callable_get_user_data  (PmapCallable   *self);
gboolean      pmap_function_is_registered  (const char     *name);
void          pmap_callable_set_by_value   (PmapCallable   *self);
gboolean      pmap_callable_get_by_value   (PmapCallable   *self);
gboolean      pmap_callable_is_thread_bound (PmapCallable  *self);
GVariant     *pmap_callable_get_ref        (PmapCallable   *self);
GVariant     *pmap_callable_invoke         (PmapCallable   *self,
                                            GVariant       *input,
                                            GError        **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PmapCallable, pmap_callable_unref)

G_END_DECLS
