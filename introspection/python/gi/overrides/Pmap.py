# Pmap.py: PyGObject overrides for pmap-glib
#
# SPDX-License-Identifier: LGPL-2.1-or-later

"""Makes Python functions safe to hand to Pmap.

PyGObject turns a GLib.Error raised in a callback into the callback's
GError, but prints any other exception and lets the callback return NULL.
Every function that reaches pmap-glib from Python is therefore wrapped so
that an exception becomes a Pmap.Error.FAILED error carrying its type,
message and traceback, which the map then reports with the task's index.
"""

import functools
import traceback

from gi.repository import GLib

from ..importer import modules
from ..overrides import override

Pmap = modules['Pmap']._introspection_module

__all__ = []


def _carry_exceptions(func, user_data=()):
    # The user data stays on the Python side: PyGObject would otherwise pass
    # a None of its own when there is none.
    @functools.wraps(func)
    def call(item, *_closure):
        try:
            return func(item, *user_data)
        except GLib.Error:
            raise
        except BaseException as exc:
            text = ''.join(traceback.format_exception(exc)).rstrip()
            raise GLib.Error(f'{type(exc).__name__}: {exc}\n{text}',
                             GLib.quark_to_string(Pmap.error_quark()),
                             Pmap.Error.FAILED) from exc
    return call


class Executor(Pmap.Executor):
    def map(self, items, func, *user_data, cancellable=None):
        return super().map(list(items), _carry_exceptions(func, user_data),
                           None, cancellable)

    def map_async(self, items, func, *user_data, cancellable=None,
                  callback=None, callback_data=None):
        # Keyword arguments: PyGObject 3.42 refuses this call positionally.
        return super().map_async(items=list(items),
                                 func=_carry_exceptions(func, user_data),
                                 cancellable=cancellable,
                                 callback=callback,
                                 callback_data=callback_data)


Executor = override(Executor)
__all__.append('Executor')


class Wrapped(Pmap.Wrapped):
    @classmethod
    def new(cls, func, *user_data):
        return Pmap.Wrapped.new(_carry_exceptions(func, user_data), None)


Wrapped = override(Wrapped)
__all__.append('Wrapped')


@functools.wraps(Pmap.register_function)
def register_function(name, func, *user_data):
    return Pmap.register_function(name, _carry_exceptions(func, user_data), None)


__all__.append('register_function')
