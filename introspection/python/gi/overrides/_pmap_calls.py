# _pmap_calls.py: the calls that a Python map runs, how they are cut into
# chunks, and how the first failure reaches the caller
#
# SPDX-License-Identifier: LGPL-2.1-or-later

"""Call records, chunks and failure records, shared by every engine.

A map is a list of calls, each a (func, args, kwargs) triple as
joblib's delayed() makes them. The engines run them a chunk at a time:
chunk k holds the calls chunk_range(k, chunk_size, n_calls). The first
call that raises stops the map, and the engine hands the caller a
Failure, which re-raises the exception itself.
"""


__all__ = ['delayed', 'as_call', 'chunk_size_for', 'n_chunks', 'chunk_range',
           'Failure', 'RemoteTraceback', 'attach_remote_traceback']

# How many chunks per job a map is cut into when the executor's batch size
# is automatic: enough that a job that finishes early finds work left, few
# enough that the C executor runs few tasks (see _pmap_engine).
CHUNKS_PER_JOB = 4


class delayed:
    """delayed(func)(*args, **kwargs) records a call of @func instead of
    making it: it is the triple (func, args, kwargs), which an executor
    called on an iterable of them runs, as joblib's delayed(). Also a
    decorator. Attributes other than calling are @func's."""

    __slots__ = ('__wrapped__',)

    def __init__(self, func):
        if not callable(func):
            raise TypeError(f'delayed() needs a callable, not {type(func).__name__}')
        self.__wrapped__ = func

    def __call__(self, *args, **kwargs):
        return self.__wrapped__, args, kwargs

    def __getattr__(self, name):
        return getattr(self.__wrapped__, name)

    def __repr__(self):
        return f'delayed({self.__wrapped__!r})'


def as_call(record):
    """Checks that @record is a (func, args, kwargs) triple."""
    try:
        func, args, kwargs = record
    except (TypeError, ValueError):
        raise TypeError('an executor runs calls recorded with '
                        'Pmap.delayed(func)(*args, **kwargs), not '
                        f'{type(record).__name__}') from None
    if not callable(func):
        raise TypeError(f'a recorded call has {type(func).__name__} '
                        'to call, which is not callable')
    return (func,
            args if type(args) is tuple else tuple(args),
            kwargs if type(kwargs) is dict else dict(kwargs))


def chunk_size_for(n_calls, n_jobs, batch_size):
    """How many calls a chunk holds: @batch_size when set, else about
    n_calls / (CHUNKS_PER_JOB * n_jobs), at least 1."""
    if batch_size > 0:
        return batch_size
    per_chunk = -(-n_calls // (CHUNKS_PER_JOB * max(1, n_jobs)))
    return max(1, per_chunk)


def n_chunks(n_calls, chunk_size):
    return -(-n_calls // chunk_size)


def chunk_range(k, chunk_size, n_calls):
    """The indices of the calls that chunk @k holds."""
    start = k * chunk_size
    return range(start, min(start + chunk_size, n_calls))


class RemoteTraceback(Exception):
    """The traceback of an exception raised in another process, as text.

    A re-raised exception carries it as its __cause__, so that Python
    prints where the exception came from before where it was re-raised.
    """

    def __init__(self, text):
        super().__init__(text)
        self.text = text

    def __str__(self):
        return self.text


def attach_remote_traceback(exc, text):
    """Makes @text, the traceback of @exc where it was raised, the cause
    of @exc. Returns @exc."""
    exc.__cause__ = RemoteTraceback(text)
    return exc


class Failure:
    """The first call of a map that raised: its index, the exception and,
    for a call that ran in another process, that process' traceback."""

    __slots__ = ('index', 'exception', 'remote_traceback')

    def __init__(self, index, exception, remote_traceback=None):
        self.index = index
        self.exception = exception
        self.remote_traceback = remote_traceback

    def noted(self, n_calls):
        """The exception, with a note naming the task and, for a call that
        ran in another process, that process' traceback as its cause."""
        exc = self.exception
        exc.add_note(f'pmap-glib: raised by task {self.index} of {n_calls}')
        if self.remote_traceback is not None:
            attach_remote_traceback(exc, self.remote_traceback)
        return exc

    def reraise(self, n_calls):
        """Raises the exception itself, noted."""
        raise self.noted(n_calls)
