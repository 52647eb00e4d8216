# _pmap_pickling.py: Python calls pickled for worker processes
#
# SPDX-License-Identifier: LGPL-2.1-or-later

"""Pickling for pmap-glib's Python workers: the two ways to pickle a
function (``pickle``, by reference, and ``cloudpickle``, by value), a
map's calls pickled in chunks with their large arguments out of band
(Chunks), and a worker's reading of a chunk (loads_chunk). _pmap_remote
runs the chunks.
"""

import copyreg
import io
import pickle
import types
from itertools import chain
from operator import itemgetter

from gi.repository import GLib

from ..importer import modules
from ._pmap_calls import chunk_range

Pmap = modules['Pmap']._introspection_module

PROTOCOL = pickle.HIGHEST_PROTOCOL

# The arguments that travel out of band when large (see Chunks).
_BUFFER_TYPES = frozenset({bytes, bytearray})


def pmap_error(code, message):
    """A GLib.Error of the Pmap.Error domain, which the overrides raise."""
    return GLib.Error(message, GLib.quark_to_string(Pmap.error_quark()), code)


_BYTES = GLib.VariantType.new('ay')


class _MainModuleFunction(pickle.PicklingError):
    pass


def variant_of(data):
    return GLib.Variant.new_from_bytes(_BYTES, GLib.Bytes.new(data), True)


def bytes_of(variant):
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


def dumps_by_reference(obj, buffer_callback=None):
    buffer = io.BytesIO()
    _ByReferencePickler(buffer, PROTOCOL, buffer_callback=buffer_callback).dump(obj)
    return buffer.getvalue()


def dumps_by_value(obj, buffer_callback=None):
    import cloudpickle

    return cloudpickle.dumps(obj, PROTOCOL, buffer_callback=buffer_callback)


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
    return (_variant_from, (variant.get_type_string(), bytes_of(variant)))


# A GLib.Variant travels as its type and its serialized data.
copyreg.pickle(GLib.Variant, _reduce_variant)


def loads_chunk(chunk):
    """A chunk's calls, from its pickle or from its pickle and the data of
    its out-of-band arguments (see Chunks). The pickle is let go of as
    soon as it is read."""
    if chunk.get_type_string() == 'ay':
        return pickle.loads(bytes_of(chunk))
    return pickle.loads(bytes_of(chunk.get_child_value(0)),
                        buffers=[bytes_of(chunk.get_child_value(i))
                                 for i in range(1, chunk.n_children())])


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
    map of tiny calls would feel: the calls of the first chunk are looked
    at before it is pickled, as a large argument that calls share is in
    it, and the others only from the first chunk whose pickle is large
    on, which is then pickled again.
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
                self.variants.append(self._pickle(calls[start:end], start == 0))
            except Exception as exc:
                calls_text = (f'Task {start}' if end - start == 1
                              else f'Tasks {start}–{end - 1}')
                raise _pickling_error(exc, calls_text) from None

    def _pickle(self, calls, first):
        """The variant of the chunk of @calls, the map's @first or not."""
        looked = first or bool(self._marks)
        if looked:
            calls = self._out_of_band(calls)
        data, data_variants = self._dumps_chunk(calls)
        if not looked and len(data) >= self._max_nbytes:
            marked = self._out_of_band(calls)
            if marked is not calls:
                data, data_variants = self._dumps_chunk(marked)
        if not data_variants:
            return variant_of(data)
        return GLib.Variant.new_tuple(variant_of(data), *data_variants)

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
