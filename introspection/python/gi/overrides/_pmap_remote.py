# _pmap_remote.py: Python functions in worker processes
#
# SPDX-License-Identifier: LGPL-2.1-or-later

"""Runs Python calls in pmap-glib's worker processes.

The C library sends a function that no C pointer names as data made by a
serializer, and the worker's serializer of the same name runs it (see
PmapSerializer's call()). This module provides the two Python serializers,
``pickle`` (functions by reference: module and name) and ``cloudpickle``
(functions by value), and the worker that knows them: this same
interpreter, started by the C pool with the command that
:func:`set_worker_command` gives it.

Calls travel in chunks, as joblib's batches do: the C map sees one input
per chunk, the pickled list of the chunk's calls, and one result per
chunk, the pickled list of their results. So a call costs pickling and a
Python call, not a trip through C for each item. A large bytes or
bytearray argument travels beside the pickle, out of band, as one
GVariant per map over shared memory, which the chunks that hold it share:
the C map sends it to each worker once. _pmap_pickling makes the chunks
and reads them.

A Python exception in a worker travels as a GError of the domain
``pmap-python-exception``, whose code is the call's position in its chunk
and whose message is the exception's text and traceback followed by a
line that holds the pickled exception; translate_error() turns it back
into the original exception.
"""

import base64
import binascii
import gc
import importlib.util
import pickle
import sys
import traceback

from gi.repository import GLib

from ..importer import modules
from ._pmap_calls import Failure
from ._pmap_pickling import (PROTOCOL, Chunks, bytes_of, dumps_by_reference, dumps_by_value,
                             loads_chunk, pmap_error, variant_of)

Pmap = modules['Pmap']._introspection_module

# Imported when first needed: worker processes start faster without it,
# and pickle imports it by itself to load what it made.
HAVE_CLOUDPICKLE = importlib.util.find_spec('cloudpickle') is not None

EXCEPTION_DOMAIN = 'pmap-python-exception'
# Marks the line of an exception's message that carries the pickled
# exception; the text before it is for people.
_PICKLED_MARK = '\npmap-python-pickled-exception: '


class _Unpicklable:
    """What a worker sends for an exception that does not pickle."""

    def __init__(self, type_name, text):
        self.type_name = type_name
        self.text = text


def _pickled_exception(exc):
    """@exc and its traceback, pickled for the parent: as itself if it
    pickles and unpickles, else as an _Unpicklable."""
    text = ''.join(traceback.format_exception(exc))
    try:
        pickled = pickle.dumps((exc, text), PROTOCOL)
        pickle.loads(pickled)
    except Exception:
        pickled = pickle.dumps((_Unpicklable(type(exc).__qualname__, str(exc)), text),
                               PROTOCOL)
    return pickled, text


class _Raised:
    """What a worker returns in the place of a call that raised, when the
    map returns exceptions: the pickled exception and its traceback."""

    def __init__(self, pickled):
        self.pickled = pickled


def _unpickled_exception(pickled, fallback_text):
    """The exception and traceback text that _pickled_exception() made, or
    None and @fallback_text if they cannot be unpickled here."""
    try:
        exc, remote_text = pickle.loads(pickled)
    except (pickle.UnpicklingError, EOFError, AttributeError, ImportError,
            TypeError, ValueError):
        return None, fallback_text
    if isinstance(exc, _Unpicklable):
        exc = Exception(f'{exc.type_name}: {exc.text}')
    return (exc if isinstance(exc, BaseException) else None), remote_text


def _exception_error(exc, position):
    """The GLib.Error that carries @exc, raised by the call at @position of
    its chunk, to the parent."""
    pickled, text = _pickled_exception(exc)
    summary = f'{type(exc).__name__}: {exc}'
    encoded = base64.b64encode(pickled).decode('ascii')
    return GLib.Error(f'{summary}\n{text.rstrip()}{_PICKLED_MARK}{encoded}',
                      EXCEPTION_DOMAIN, position)


def _call_each(calls, return_exceptions):
    """The results of @calls; with @return_exceptions, an exception that a
    call raises takes the place of its result."""
    results = []
    for position, (func, args, kwargs) in enumerate(calls):
        try:
            results.append(func(*args, **kwargs))
        except Exception as exc:
            if not return_exceptions:
                raise _exception_error(exc, position) from None
            results.append(_Raised(_pickled_exception(exc)[0]))
        except BaseException as exc:
            raise _exception_error(exc, position) from None
    return results


class _PythonSerializer(Pmap.Serializer):
    """Runs a chunk of pickled calls: the base of both serializers.

    A chunk is the pickle of (return_exceptions, calls), its calls a list
    of (function, args, kwargs): pickle's memo writes a function that the
    calls share once; with the data of its large arguments beside it (see
    Chunks). The function data that the map names is empty.
    """

    def do_call(self, function, chunk):
        # A collection that the chunk's own allocations start while its
        # arguments are young walks every element of a large list (5 ms
        # for a million here): an empty young generation to start with,
        # and the arguments gone before pickling the results allocates.
        gc.collect(0)
        return_exceptions, calls = loads_chunk(chunk)
        results = _call_each(calls, return_exceptions)
        del calls
        try:
            # PyGObject may wrap an instance that C created in the base
            # class: find the subclass by name.
            return variant_of(SERIALIZERS[self.get_name()].dumps(results))
        except Exception as exc:
            raise pmap_error(Pmap.Error.NOT_SERIALIZABLE,
                              f'The results of a chunk could not be pickled: '
                              f'{type(exc).__name__}: {exc}') from None


class PickleSerializer(_PythonSerializer):
    """``pickle``: functions by reference, as the standard pickle module.

    Fast for large data; refuses functions and classes of ``__main__``,
    which a worker cannot import.
    """

    __gtype_name__ = 'PmapPythonPickleSerializer'
    dumps = staticmethod(dumps_by_reference)


class CloudpickleSerializer(_PythonSerializer):
    """``cloudpickle``: functions by value, lambdas and closures too."""

    __gtype_name__ = 'PmapPythonCloudpickleSerializer'
    dumps = staticmethod(dumps_by_value)


SERIALIZERS = {'pickle': PickleSerializer}
if HAVE_CLOUDPICKLE:
    SERIALIZERS['cloudpickle'] = CloudpickleSerializer

for _name, _class in SERIALIZERS.items():
    Pmap.Serializer.register(_name, _class.__gtype__)

# What the C names mean to Python: `general` carries functions by value,
# `variant` only by reference.
_PYTHON_NAMES = {'general': 'cloudpickle', 'variant': 'pickle'}


def python_serializer_name(executor):
    """The Python serializer that the executor's serializer stands for."""
    serializer = executor.get_serializer()
    name = serializer.get_name() if serializer is not None else 'general'
    name = _PYTHON_NAMES.get(name, name)
    if name not in SERIALIZERS:
        raise pmap_error(Pmap.Error.UNKNOWN_SERIALIZER,
                          f'The serializer “{name}” cannot carry Python functions '
                          f'to worker processes; use {" or ".join(sorted(SERIALIZERS))}')
    return name


_WORKER_CODE = ('import sys; sys.path[:] = {path!r}; import gi; '
                'gi.require_version("Pmap", "1.0"); '
                'from gi.repository import Pmap; Pmap.host_workers()')


def worker_command():
    """The command that starts a Python worker: this interpreter, with this
    process's module path, so that functions found by reference import
    from the same places."""
    return [sys.executable, '-c', _WORKER_CODE.format(path=sys.path)]


def wrapped_chunks(serializer_name):
    """The PmapWrapped that runs chunks with the serializer
    @serializer_name in the workers."""
    serializer = Pmap.Serializer.create(serializer_name)
    return Pmap.Wrapped.new_serialized(serializer, variant_of(b''))


def chunk_results(results, chunks):
    """The calls' results, from the chunks' results; with return_exceptions,
    these are outcomes, and an exception that a call returned in its place
    becomes the exception, noted as a raised one would be."""
    if not chunks.return_exceptions:
        return [value for result in results for value in pickle.loads(bytes_of(result))]

    values = []
    for chunk, outcome in enumerate(results):
        values.extend(_outcome_values(outcome, chunk, chunks))
    for index, value in enumerate(values):
        if isinstance(value, _Raised):
            exc, remote_text = _unpickled_exception(value.pickled, '')
            if exc is None:
                exc = Exception('an exception that could not be unpickled here')
            values[index] = Failure(index, exc, remote_text).noted(chunks.n_calls)
    return values


def _outcome_values(outcome, chunk, chunks):
    """The values of the calls of @chunk, from its Pmap.Outcome: those its
    worker returned, or, if the chunk failed as a whole (its worker died,
    say), its error in the place of each of its calls, which are unknown
    to have run."""
    try:
        value = outcome.get_value()
    except GLib.Error as error:
        failure = translate_error(error, chunks)
    else:
        return pickle.loads(bytes_of(value))
    # Outside the except clause, as in run_calls().
    if isinstance(failure, Failure):
        # What the chunk could not return: a BaseException.
        failure.reraise(chunks.n_calls)
    start, end = chunks.bounds(chunk)
    return [GLib.Error(failure.message, failure.domain, failure.code)
            for _ in range(start, end)]


_TASK_PREFIX = 'Task '


def _failed_chunk(message):
    """The chunk that a map's error names, from its `Task N failed: `."""
    if not message.startswith(_TASK_PREFIX):
        return None, message
    number, sep, rest = message[len(_TASK_PREFIX):].partition(' failed: ')
    if not sep or not number.isdigit():
        return None, message
    return int(number), rest


def translate_error(error, chunks):
    """What to raise for the GLib.Error of a map of @chunks.

    An exception that a call raised becomes that exception again, its
    worker's traceback as its cause and a note naming the call (a Failure);
    an error that names a chunk (a crashed worker, say) names the chunk's
    calls. Other errors stay as they are.
    """
    chunk, rest = _failed_chunk(error.message)
    if chunk is None or chunk >= len(chunks.variants):
        return error
    start, end = chunks.bounds(chunk)

    if error.domain == EXCEPTION_DOMAIN:
        index = start + error.code
        text, _, encoded = rest.partition(_PICKLED_MARK)
        try:
            pickled = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            pickled = b''
        exc, remote_text = _unpickled_exception(pickled, text)
        if exc is None:
            return pmap_error(Pmap.Error.FAILED, f'Task {index} failed: {text}')
        return Failure(index, exc, remote_text)

    calls = f'Task {start}' if end - start == 1 else f'One of tasks {start}–{end - 1}'
    return GLib.Error(f'{calls} failed: {rest}', error.domain, error.code)


def run_calls(executor, calls, chunk_size, cancellable=None, progress=None,
              return_exceptions=False):
    """Runs @calls, a list of (function, args, kwargs), in worker processes,
    @chunk_size calls a chunk, and returns their results in order; the
    contract of _pmap_engine.run_calls()."""
    from . import _pmap_engine

    if not calls:
        return []
    name = python_serializer_name(executor)
    chunks = Chunks(calls, chunk_size, SERIALIZERS[name].dumps, return_exceptions,
                    executor.get_max_nbytes())
    wrapped = wrapped_chunks(name)
    # sys.path may have changed since the last map.
    Pmap.set_worker_command(worker_command())

    engine = _pmap_engine.engine_for(executor)

    def chunks_done(engine, n_done, n_tasks):
        executor.emit('progress', n_done, n_tasks)
        if progress is not None:
            progress(min(n_done * chunk_size, len(calls)), len(calls))

    # With return_exceptions, a chunk that fails (its worker died, say)
    # fails alone, its calls' places taken by its error.
    map_chunks = (Pmap.Executor.map_wrapped_outcomes if return_exceptions
                  else Pmap.Executor.map_wrapped)
    handler = engine.connect('progress', chunks_done)
    try:
        results = map_chunks(engine, wrapped, chunks.variants, cancellable)
    except GLib.Error as error:
        outcome = translate_error(error, chunks)
    else:
        return chunk_results(results, chunks)
    finally:
        engine.disconnect(handler)
    # Outside the except clause: the C error is not the exception's context.
    if isinstance(outcome, Failure):
        outcome.reraise(len(calls))
    raise outcome


def _loads_by_value(data):
    return pickle.loads(data)


class CloudpickledObject:
    """One function or object that travels by value whatever the
    serializer: joblib's ``wrap_non_picklable_objects``."""

    def __init__(self, obj):
        if not HAVE_CLOUDPICKLE:
            raise ImportError('wrapping needs cloudpickle (python3-cloudpickle)')
        self.__wrapped__ = obj

    def __reduce__(self):
        return (_loads_by_value, (dumps_by_value(self.__wrapped__),))

    def __call__(self, *args, **kwargs):
        return self.__wrapped__(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.__wrapped__, name)

    def __repr__(self):
        return f'{type(self).__name__}({self.__wrapped__!r})'


def wrap_non_picklable_objects(obj):
    """Marks @obj (a function, a class or any object) to travel to worker
    processes by value, with cloudpickle, while the rest of the map keeps
    the executor's serializer."""
    return CloudpickledObject(obj)


# The workers of a Python program are Python workers, whatever it maps.
Pmap.set_worker_command(worker_command())
