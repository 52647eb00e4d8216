# Pmap.py: PyGObject overrides for pmap-glib
#
# SPDX-License-Identifier: LGPL-2.1-or-later

"""pmap-glib for Python: joblib's Parallel and delayed as a GObject.

    executor = Pmap.Executor(n_jobs=2, backend='threads')
    squares = executor.map(range(10), lambda x: x * x)
    results = executor(Pmap.delayed(pow)(x, 3) for x in range(10))

Items, arguments and results are plain Python values: the calls run
chunk by chunk (see _pmap_engine), in this process on the threads and
sequential backends, pickled to Python worker processes on the processes
backend, the default (see _pmap_remote). An exception that a call raises
reaches the caller as itself. Functions handed to C as Pmap.Func (register_function(),
Wrapped.new()) still take and return GLib.Variant.
"""

import functools
import traceback

from gi.repository import Gio, GLib

from ..importer import modules
from ..overrides import override
from . import _pmap_engine
from ._pmap_calls import RemoteTraceback, as_call, delayed
from ._pmap_config import executor_properties, parallel_config
from ._pmap_remote import pmap_error, wrap_non_picklable_objects

Pmap = modules['Pmap']._introspection_module

__all__ = ['delayed', 'parallel_config', 'RemoteTraceback',
           'wrap_non_picklable_objects']

# The keyword arguments of the calls that map() makes; never changed.
_NO_KWARGS = {}


def _carry_exceptions(func, user_data=()):
    """Wraps @func for C callers, which only understand a GError.

    PyGObject turns a GLib.Error raised in a callback into the callback's
    GError, but prints any other exception and lets the callback return
    NULL: any other exception becomes a Pmap.Error.FAILED error carrying
    its type, message and traceback. The user data stays on the Python
    side: PyGObject would otherwise pass a None of its own when there is
    none.
    """
    @functools.wraps(func)
    def call(item, *_closure):
        try:
            return func(item, *user_data)
        except GLib.Error:
            raise
        except BaseException as exc:
            text = ''.join(traceback.format_exception(exc)).rstrip()
            raise pmap_error(Pmap.Error.FAILED,
                             f'{type(exc).__name__}: {exc}\n{text}') from exc
    return call


def _map_calls(func, items, args):
    if not callable(func):
        raise TypeError(f'map() needs a callable, not {type(func).__name__}')
    if args:
        return [(func, (item, *args), _NO_KWARGS) for item in items]
    return [(func, (item,), _NO_KWARGS) for item in items]


class Executor(Pmap.Executor):
    """Runs calls in parallel, as joblib's Parallel.

    Executor(n_jobs=None, backend=None, batch_size=None, serializer=None,
    timeout=None, retries=None, max_nbytes=None): a backend or serializer may be given by
    name ('processes', 'threads', 'sequential'; 'cloudpickle', 'pickle',
    'general', 'variant') or as an object; timeout is the seconds that one
    call may run on the processes backend, retries how many times a chunk
    whose worker died or timed out runs again there, max_nbytes (a number,
    or '1M' as joblib writes it) from which size messages to workers travel
    in shared memory. Settings left to None come from
    the parallel_config() in effect, else from the environment
    (PMAP_N_JOBS, PMAP_BACKEND, PMAP_SERIALIZER), else are -1 jobs, the
    processes backend, automatic batches, the general serializer (which
    Python reads as cloudpickle) and no timeout.
    """

    def __init__(self, n_jobs=None, backend=None, batch_size=None,
                 serializer=None, timeout=None, retries=None, max_nbytes=None):
        super().__init__(**executor_properties(n_jobs=n_jobs, backend=backend,
                                               batch_size=batch_size,
                                               serializer=serializer,
                                               timeout=timeout,
                                               retries=retries,
                                               max_nbytes=max_nbytes))

    def __call__(self, calls, *, cancellable=None, progress=None,
                 return_exceptions=False):
        """Runs @calls, an iterable of Pmap.delayed(func)(*args, **kwargs),
        and returns their results in order.

        The first call that raises stops the map, and its exception is
        raised here, with a note naming the call's index. With
        @return_exceptions, as asyncio.gather()'s, every call runs, and an
        exception that one raises is returned in the place of its result,
        with the same note. @progress, if given, is called as
        progress(n_done_calls, n_calls) on this thread as the map advances.
        """
        return _pmap_engine.run_calls(self, [as_call(c) for c in calls],
                                      cancellable, progress, return_exceptions)

    def map(self, items, func, *args, cancellable=None, progress=None,
            return_exceptions=False):
        """Returns [func(item, *args) for item in items], computed in
        parallel: self(Pmap.delayed(func)(item, *args) for item in items).
        """
        return _pmap_engine.run_calls(self, _map_calls(func, items, args),
                                      cancellable, progress, return_exceptions)

    def starmap(self, items, func, *, cancellable=None, progress=None,
                return_exceptions=False):
        """Returns [func(*item) for item in items], computed in parallel."""
        if not callable(func):
            raise TypeError(f'starmap() needs a callable, not {type(func).__name__}')
        calls = [(func, tuple(item), _NO_KWARGS) for item in items]
        return _pmap_engine.run_calls(self, calls, cancellable, progress,
                                      return_exceptions)

    def map_async(self, items, func, *args, cancellable=None, callback=None,
                  user_data=None, progress=None, return_exceptions=False):
        """Starts map() without waiting for it.

        With a @callback, GIO's way: callback(executor, result, user_data)
        runs on the thread-default main context when the map ends, and
        executor.map_finish(result) returns the results or raises. Without
        one, returns an awaitable for asyncio, whose result is the results;
        cancelling the awaiting task cancels the map.
        """
        calls = _map_calls(func, items, args)
        if callback is None:
            return _pmap_engine.run_calls_awaiting(self, calls, cancellable,
                                                   progress, return_exceptions)
        task = Gio.Task.new(self, cancellable, callback, user_data)
        # The outcome is the map's, even if @cancellable is cancelled late.
        task.set_check_cancellable(False)
        _pmap_engine.start_calls(self, calls, cancellable, progress, task,
                                 return_exceptions)
        return None

    def map_finish(self, result):
        """The results of a map_async() that had a callback."""
        finish = getattr(result, '_pmap_finish', None)
        if finish is None:
            return super().map_finish(result)
        if not Gio.Task.is_valid(result, self):
            raise ValueError('map_finish() was given the result of another '
                             'object’s asynchronous operation')
        result.propagate_boolean()
        return finish()


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
