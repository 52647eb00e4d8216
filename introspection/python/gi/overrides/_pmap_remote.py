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
the C map sends it to each worker once (see Chunks).

A Python exception in a worker travels as a GError of the domain
``pmap-python-exception``, whose code is the call's position in its chunk
and whose message is the exception's text and traceback followed by a
line that holds the pickled exception; translate_error() turns it back
into the original exception.
"""

import base64
import binascii
import copyreg
import gc
import importlib.util
import io
import pickle
import sys
import traceback
import types
from itertools import chain
from operator import itemgetter

from gi.repository import GLib

from ..importer import modules
from ._pmap_calls import Failure, chunk_range

Pmap = modules['Pmap']._introspection_module

# Imported when first needed: worker processes start faster without it,
# and pickle imports it by itself to load what it made.
HAVE_CLOUDPICKLE = importlib.util.find_spec('cloudpickle') is not None

EXCEPTION_DOMAIN = 'pmap-python-exception'
# Marks the line of an exception's message that carries the pickled
# exception; the text before it is for people.
_PICKLED_MARK = '\npmap-python-pickled-exception: '

_PROTOCOL = pickle.HIGHEST_PROTOCOL

# The arguments that travel out of band when large (see Chunks).
_BUFFER_TYPES = frozenset({bytes, bytearray})


def pmap_error(code, message):
    """A GLib.Error of the Pmap.Error domain, which the overrides raise."""
    return GLib.Error(message, GLib.quark_to_string(Pmap.error_quark()), code)
_BYTES = GLib.VariantType.new('ay')


class _MainModuleFunction(pickle.PicklingError):
    pass


def _variant_of(data):
    return GLib.Variant.new_from_bytes(_BYTES, GLib.Bytes.new(data), True)


def _bytes_of(variant):
    return variant.get_data_as_bytes().get_data()


class _ByReferencePickler(pickle.Pickler):
    """pickle, refusing what a worker cannot find by reference.

    A worker imports modules by name, but its ``__main__`` is not the
    caller's script: a function or class of ``__main__`` would pickle here
    and fail there. It is refused here, with what to do.
    """

    def reducer_override(self, obj):
        if (isinstance(obj, (types.FunctionType, type)) and
                getattr(obj, '__module__', None) == '__main__'):
            raise _MainModuleFunction(obj)
        return NotImplemented


def _dumps_by_reference(obj, buffer_callback=None):
    buffer = io.BytesIO()
    _ByReferencePickler(buffer, _PROTOCOL, buffer_callback=buffer_callback).dump(obj)
    return buffer.getvalue()


def _dumps_by_value(obj, buffer_callback=None):
    import cloudpickle

    return cloudpickle.dumps(obj, _PROTOCOL, buffer_callback=buffer_callback)


class _OutOfBand:
    """A large bytes or bytearray argument, which pickles out of band: its
    data goes to the pickler's buffer_callback, not into the pickle."""

    __slots__ = ('data',)

    def __init__(self, data):
        self.data = data

    def __reduce_ex__(self, protocol):
        return (_from_buffer, (type(self.data), pickle.PickleBuffer(self.data)))


def _from_buffer(kind, buffer):
    """The argument again, in a worker: the bytes object that the worker
    read the data into, or a bytearray copy of it."""
    return buffer if kind is bytes and type(buffer) is bytes else kind(buffer)


def _variant_from(type_string, data):
    return GLib.Variant.new_from_bytes(GLib.VariantType.new(type_string),
                                       GLib.Bytes.new(data), False)


def _reduce_variant(variant):
    return (_variant_from, (variant.get_type_string(), _bytes_of(variant)))


# A GLib.Variant travels as its type and its serialized data.
copyreg.pickle(GLib.Variant, _reduce_variant)


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
        pickled = pickle.dumps((exc, text), _PROTOCOL)
        pickle.loads(pickled)
    except Exception:
        pickled = pickle.dumps((_Unpicklable(type(exc).__qualname__, str(exc)), text),
                               _PROTOCOL)
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


def _loads_chunk(chunk):
    """A chunk's calls, from its pickle or from its pickle and the data of
    its out-of-band arguments (see Chunks). The pickle is let go of as
    soon as it is read."""
    if chunk.get_type_string() == 'ay':
        return pickle.loads(_bytes_of(chunk))
    return pickle.loads(_bytes_of(chunk.get_child_value(0)),
                        buffers=[_bytes_of(chunk.get_child_value(i))
                                 for i in range(1, chunk.n_children())])


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
        return_exceptions, calls = _loads_chunk(chunk)
        results = _call_each(calls, return_exceptions)
        del calls
        try:
            # PyGObject may wrap an instance that C created in the base
            # class: find the subclass by name.
            return _variant_of(SERIALIZERS[self.get_name()].dumps(results))
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
    dumps = staticmethod(_dumps_by_reference)


class CloudpickleSerializer(_PythonSerializer):
    """``cloudpickle``: functions by value, lambdas and closures too."""

    __gtype_name__ = 'PmapPythonCloudpickleSerializer'
    dumps = staticmethod(_dumps_by_value)


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


def _not_serializable(message):
    return pmap_error(Pmap.Error.NOT_SERIALIZABLE, message)


def _pickling_error(exc, what):
    if isinstance(exc, _MainModuleFunction):
        obj = exc.args[0]
        name = getattr(obj, '__qualname__', repr(obj))
        return _not_serializable(
            f'{what} use {name}, defined in __main__, which the “pickle” '
            f'serializer cannot carry: it sends functions by reference, and '
            f'a worker process does not import the main script. Wrap it with '
            f'Pmap.wrap_non_picklable_objects({name}) so that it alone '
            f'travels by value, move it to a module, or use the '
            f'“cloudpickle” serializer')
    return _not_serializable(f'{what} could not be pickled: '
                             f'{type(exc).__name__}: {exc}')


class Chunks:
    """A map's calls, pickled in chunks: chunk k holds the calls
    chunk_range(k, chunk_size, n_calls).

    A chunk's variant is its pickle, or, if its calls have large bytes or
    bytearray arguments (@max_nbytes or more), a tuple of the pickle and
    their data, which the pickle names in order, out of band. Each such
    argument has one variant for the whole map, over shared memory, in
    every chunk that holds it: the C map sends it by descriptor, and to
    each worker once when more chunks hold it than the map has jobs.

    Looking for such arguments costs a look at every argument, which a
    map of tiny calls would feel: calls are looked at only from the first
    chunk whose pickle is large on.
    """

    def __init__(self, calls, chunk_size, dumps, return_exceptions=False,
                 max_nbytes=1 << 20):
        self.return_exceptions = return_exceptions
        self.chunk_size = chunk_size
        self.n_calls = len(calls)
        self.variants = []
        self._dumps = dumps
        self._max_nbytes = max_nbytes
        self._marks = {}   # id(argument) -> (argument, its _OutOfBand)
        self._shared = {}  # id(argument) -> (argument, its data's variant)
        for start in range(0, self.n_calls, chunk_size):
            end = min(start + chunk_size, self.n_calls)
            try:
                self.variants.append(self._pickle(calls[start:end]))
            except Exception as exc:
                calls_text = (f'Task {start}' if end - start == 1
                              else f'Tasks {start}–{end - 1}')
                raise _pickling_error(exc, calls_text) from None

    def _pickle(self, calls):
        """The variant of the chunk of @calls."""
        if self._marks:
            calls = self._out_of_band(calls)
        data, data_variants = self._dumps_chunk(calls)
        if not self._marks and len(data) >= self._max_nbytes:
            marked = self._out_of_band(calls)
            if marked is not calls:
                data, data_variants = self._dumps_chunk(marked)
        if not data_variants:
            return _variant_of(data)
        return GLib.Variant.new_tuple(_variant_of(data), *data_variants)

    def _dumps_chunk(self, calls):
        data_variants = []
        data = self._dumps((self.return_exceptions, calls),
                           buffer_callback=lambda buffer: self._keep(buffer, data_variants))
        return data, data_variants

    def _out_of_band(self, calls):
        """@calls, their large bytes and bytearray arguments marked to
        pickle out of band, one mark per argument, which pickle's memo
        writes once in a chunk; @calls itself if none is."""
        # At C's speed: the types of every argument.
        positional = chain.from_iterable(map(itemgetter(1), calls))
        keyword = chain.from_iterable(map(dict.values, map(itemgetter(2), calls)))
        if _BUFFER_TYPES.isdisjoint(map(type, chain(positional, keyword))):
            return calls

        def mark(arg):
            if type(arg) not in _BUFFER_TYPES or len(arg) < self._max_nbytes:
                return arg
            return self._marks.setdefault(id(arg), (arg, _OutOfBand(arg)))[1]

        marked = [(func, tuple(map(mark, args)), {key: mark(arg) for key, arg in kwargs.items()})
                  for func, args, kwargs in calls]
        return marked if self._marks else calls

    def _keep(self, buffer, data_variants):
        """A pickler's buffer_callback: adds the variant of @buffer's data
        to @data_variants, to travel out of band, if it is an argument that
        _out_of_band() marked; other buffers (a NumPy array's, say) stay in
        the pickle."""
        with buffer.raw() as view:
            data = view.obj
            key = id(data)
            if key not in self._marks:
                return True
            if key not in self._shared:
                shared = Pmap.bytes_new_shared(data if type(data) is bytes else bytes(view))
                self._shared[key] = (data, GLib.Variant.new_from_bytes(_BYTES, shared, True))
        data_variants.append(self._shared[key][1])
        return False

    def bounds(self, chunk):
        calls = chunk_range(chunk, self.chunk_size, self.n_calls)
        return calls.start, calls.stop


def wrapped_chunks(serializer_name):
    """The PmapWrapped that runs chunks with the serializer
    @serializer_name in the workers."""
    serializer = Pmap.Serializer.create(serializer_name)
    return Pmap.Wrapped.new_serialized(serializer, _variant_of(b''))


def chunk_results(results, chunks):
    """The calls' results, from the chunks' results; with return_exceptions,
    these are outcomes, and an exception that a call returned in its place
    becomes the exception, noted as a raised one would be."""
    if not chunks.return_exceptions:
        return [value for result in results for value in pickle.loads(_bytes_of(result))]

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
        return pickle.loads(_bytes_of(value))
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
        return (_loads_by_value, (_dumps_by_value(self.__wrapped__),))

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
