/* pmap-serializer.h: how functions and values travel to worker processes
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(PMAP_GLIB_INSIDE) && !defined(PMAP_GLIB_COMPILATION)
# error "Only <pmap-glib/pmap-glib.h> can be included directly."
#endif

#include <glib-object.h>

#include "pmap-version-macros.h"

G_BEGIN_DECLS

#define PMAP_TYPE_SERIALIZER (pmap_serializer_get_type ())

PMAP_AVAILABLE_IN_1_0
G_DECLARE_DERIVABLE_TYPE (PmapSerializer, pmap_serializer, PMAP, SERIALIZER, GObject)

/**
 * PmapSerializerClass:
 * @parent_class: the parent class
 * @encode: turns a value into what travels; see [vfunc@Pmap.Serializer.encode]
 * @decode: turns what travelled back into the value; see
 *   [vfunc@Pmap.Serializer.decode]
 * @call: runs a function that this serializer made into data; see
 *   [vfunc@Pmap.Serializer.call]
 *
 * The class structure of [class@Pmap.Serializer].
 *
 * Since: 1.0
 */
struct _PmapSerializerClass
{
  GObjectClass parent_class;

  GVariant *(*encode) (PmapSerializer  *self,
                       GVariant        *value,
                       GError         **error);
  GVariant *(*decode) (PmapSerializer  *self,
                       GVariant        *data,
                       GError         **error);
  GVariant *(*call)   (PmapSerializer  *self,
                       GVariant        *function,
                       GVariant        *input,
                       GError         **error);

  /*< private >*/
  gpointer _reserved[9];
};

PMAP_AVAILABLE_IN_1_0
PmapSerializer *pmap_serializer_create                 (const char      *name,
                                                        GError         **error);
PMAP_AVAILABLE_IN_1_0
void            pmap_serializer_register               (const char      *name,
                                                        GType            type);
PMAP_AVAILABLE_IN_1_0
const char     *pmap_serializer_get_name               (PmapSerializer  *self);
PMAP_AVAILABLE_IN_1_0
gboolean        pmap_serializer_get_functions_by_value (PmapSerializer  *self);
PMAP_AVAILABLE_IN_1_0
GVariant       *pmap_serializer_encode                 (PmapSerializer  *self,
                                                        GVariant        *value,
                                                        GError         **error);
PMAP_AVAILABLE_IN_1_0
GVariant       *pmap_serializer_decode                 (PmapSerializer  *self,
                                                        GVariant        *data,
                                                        GError         **error);
PMAP_AVAILABLE_IN_1_0
GVariant       *pmap_serializer_call                   (PmapSerializer  *self,
                                                        GVariant        *function,
                                                        GVariant        *input,
                                                        GError         **error);

G_END_DECLS
