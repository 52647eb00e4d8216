# _pmap_engine.py: how a Python map runs its calls
#
# SPDX-License-Identifier: LGPL-2.1-or-later

"""Runs a list of (func, args, kwargs) calls on an executor.

run_calls() is the one place that chooses how: backends that run tasks in
this process get the calls a chunk at a time, as joblib's BatchedCalls.
The C executor maps over one GVariant per chunk, its index k (type "u"),
with a Python function that runs the calls chunk_range(k, ...) and stores
their results in a Python list, so that a call costs a Python call and
not a crossing into C and back. The values themselves never become
GVariants.

The C map runs on an engine: an executor of the same backend, jobs and
serializer as the caller's, but claiming one chunk at a time (batch size
1), since the chunks already are the batches. Its progress signal is
re-emitted by the caller's executor.
"""

import functools
import threading

from gi.repository import Gio, GLib

from ..importer import modules
from . import _pmap_remote
from ._pmap_remote import pmap_error
from ._pmap_calls import Failure, chunk_range, chunk_size_for, n_chunks
from ._pmap_interrupt import interrupts_cancel

Pmap = modules['Pmap']._introspection_module

# The executor class of the typelib, whose map() is the C one.
_CExecutor = Pmap.Executor

# What a chunk's task returns to the C map: the results stay in Python.
_CHUNK_DONE = GLib.Variant('b', True)

# How many chunks the current thread is running, one inside the other: a
# map started in a task runs in that task, as the C executor does.
_running = threading.local()


def _check_settings(executor, cancellable):
    """Raises the GLib.Error that @executor would fail any map with before
    running a task: a PMAP_* variable that names nothing, or @cancellable
    cancelled.

    The C executor checks its settings first, then the cancellable, and
    only then hands the job to the backend: a map given a cancellable that
    is already cancelled reports the settings without reaching the backend.
    """
    try:
        _CExecutor.map(executor, [], _never_called, None, _CANCELLED)
    except GLib.Error as error:
        if not error.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED):
            raise
    if cancellable is not None and cancellable.is_cancelled():
        cancellable.set_error_if_cancelled()


_CANCELLED = Gio.Cancellable()
_CANCELLED.cancel()


def _never_called(item, *_):
    raise AssertionError('a map of no input ran a task')


def _runs_in_worker_processes(executor):
    backend = executor.get_backend()
    return (backend is not None and backend.get_name() == 'processes' and
            executor.get_effective_n_jobs() > 1 and
            not getattr(_running, 'depth', 0))


def _chunk_size(executor, calls):
    # The executor's timeout is a call's: each call is then a task of its
    # own, which the processes backend times.
    if executor.get_timeout() > 0:
        return 1
    return chunk_size_for(len(calls), executor.get_effective_n_jobs(),
                          executor.get_batch_size())


def run_calls(executor, calls, cancellable=None, progress=None,
              return_exceptions=False):
    """Runs @calls, a list of (func, args, kwargs), on @executor and waits.

    Returns the list of their results, in the order of @calls. Raises the
    exception of the first call that raised, itself, with a note naming its
    index (see Failure), and no later chunk starts; with
    @return_exceptions, returns such an exception in the place of its
    call's result instead, and runs every call. Raises a GLib.Error for an
    error of pmap-glib's: settings, cancellation through @cancellable; and
    KeyboardInterrupt once the map stopped, if Ctrl-C was pressed while the
    main thread waited for it (see _pmap_interrupt).
    @progress, if not None, is called as progress(n_done_calls, n_calls) on
    the calling thread as chunks complete.

    Chunk k holds the calls chunk_range(k, chunk_size, len(calls)).
    """
    _check_settings(executor, cancellable)
    chunk_size = _chunk_size(executor, calls)
    with interrupts_cancel(cancellable) as cancellable:
        if _runs_in_worker_processes(executor):
            # The one place where maps leave this process.
            return _pmap_remote.run_calls(executor, calls, chunk_size,
                                          cancellable, progress, return_exceptions)
        return _InProcessMap(executor, calls, chunk_size, cancellable,
                             progress, return_exceptions).run()


def engine_for(executor):
    """A C executor that runs maps of chunks for @executor: the same
    backend, serializer, jobs, timeout, retries and max-nbytes, and batches
    of one task, since each task is a chunk already, sized for the jobs.
    Its progress signal is not @executor's; re-emit it (see
    _InProcessMap._chunks_done)."""
    return _CExecutor(backend=executor.get_backend(),
                      serializer=executor.get_serializer(),
                      n_jobs=executor.get_n_jobs(), batch_size=1,
                      timeout=executor.get_timeout(),
                      retries=executor.get_retries(),
                      max_nbytes=executor.get_max_nbytes())


class _InProcessMap:
    """One map of Python calls, run a chunk at a time by the tasks of a C
    map on the engine."""

    def __init__(self, executor, calls, chunk_size, cancellable, progress,
                 return_exceptions=False):
        self.executor = executor
        self.return_exceptions = return_exceptions
        self.calls = calls
        self.chunk_size = chunk_size
        self.results = [None] * len(calls)
        self.failure = None
        self.cancellable = cancellable
        self.progress = progress
        self.n_done_calls = 0
        self.lock = threading.Lock()

    def _engine(self):
        engine = engine_for(self.executor)
        handler = engine.connect('progress', self._chunks_done)
        return engine, handler

    def _chunk_indices(self):
        return [GLib.Variant('u', k)
                for k in range(n_chunks(len(self.calls), self.chunk_size))]

    def run(self):
        engine, handler = self._engine()
        error = None
        try:
            engine.map(self._chunk_indices(), self._run_chunk, None,
                       self.cancellable)
        except GLib.Error as map_error:
            error = map_error
        finally:
            engine.disconnect(handler)
        return self.finish(error)

    def start(self, task):
        """Starts the map, which completes @task on the caller's context."""
        engine, handler = self._engine()

        def done(engine, result, *_):
            error = None
            try:
                engine.map_finish(result)
            except GLib.Error as map_error:
                error = map_error
            engine.disconnect(handler)
            complete(task, lambda: self.finish(error))

        engine.map_async(items=self._chunk_indices(), func=self._run_chunk,
                         cancellable=self.cancellable, callback=done,
                         callback_data=None)

    def finish(self, error):
        """The results, or the exception that the map ends with, given the
        C map's @error."""
        if self.failure is not None:
            self.failure.reraise(len(self.calls))
        if error is not None:
            raise error
        return self.results

    def _run_chunk(self, item, *_):
        calls, results, cancellable = self.calls, self.results, self.cancellable
        indices = chunk_range(item.get_uint32(), self.chunk_size, len(calls))
        _running.depth = getattr(_running, 'depth', 0) + 1
        try:
            for i in indices:
                if self.failure is not None:
                    raise pmap_error(Pmap.Error.FAILED, 'Another task failed')
                if cancellable is not None and cancellable.is_cancelled():
                    cancellable.set_error_if_cancelled()
                func, args, kwargs = calls[i]
                try:
                    results[i] = func(*args, **kwargs) if kwargs else func(*args)
                except Exception as exc:
                    if self.return_exceptions:
                        results[i] = Failure(i, exc).noted(len(calls))
                        continue
                    failure = Failure(i, exc)
                except BaseException as exc:
                    failure = Failure(i, exc)
                else:
                    continue
                # Outside the except block, so that the GLib.Error, which
                # only stops the C map, holds no reference to the exception.
                raise self._fail(failure)
        finally:
            _running.depth -= 1
        with self.lock:
            self.n_done_calls += len(indices)
        return _CHUNK_DONE

    def _fail(self, failure):
        with self.lock:
            if self.failure is None:
                self.failure = failure
        exc = failure.exception
        return pmap_error(Pmap.Error.FAILED,
                           f'{type(exc).__name__} in call {failure.index}')

    def _chunks_done(self, engine, n_done, n_tasks):
        self.executor.emit('progress', n_done, n_tasks)
        if self.progress is not None:
            self.progress(self.n_done_calls, len(self.calls))


def complete(task, finish):
    """Completes @task, a Gio.Task that Executor.map_finish() ends with
    finish(), which returns the results or raises."""
    task._pmap_finish = finish
    task.return_boolean(True)


def _raising(exc):
    def finish():
        raise exc
    return finish


def start_calls(executor, calls, cancellable, progress, task,
                return_exceptions=False):
    """Runs @calls as run_calls() does, without waiting: completes @task,
    on the main context that is the thread's default now, with what
    run_calls() would return or raise."""
    try:
        _check_settings(executor, cancellable)
    except GLib.Error as error:
        complete(task, _raising(error))
        return

    if not _runs_in_worker_processes(executor):
        _InProcessMap(executor, calls, _chunk_size(executor, calls),
                      cancellable, progress, return_exceptions).start(task)
        return

    # Worker processes: wait for run_calls() on a thread of our own, and
    # report on the caller's context.
    context = GLib.MainContext.ref_thread_default()
    if progress is not None:
        progress = _on_context(context, progress)

    def run():
        try:
            results = run_calls(executor, calls, cancellable, progress,
                                return_exceptions)
        except BaseException as exc:
            complete(task, _raising(exc))
        else:
            complete(task, lambda: results)

    threading.Thread(target=run, name='pmap-map', daemon=True).start()


def _on_context(context, func):
    """Wraps @func so that it runs on @context, whichever thread calls it."""
    def post(*args):
        def call(*_):
            func(*args)
            return GLib.SOURCE_REMOVE
        source = GLib.idle_source_new()
        source.set_callback(call)
        source.attach(context)
    return post


async def run_calls_awaiting(executor, calls, cancellable, progress,
                             return_exceptions=False):
    """run_calls() for asyncio: the map runs on a thread of the loop's
    default executor. Cancelling the awaiting task cancels the map, waits
    for it to stop, and raises asyncio.CancelledError."""
    # Imported here: worker processes, which import this module too, start
    # faster without asyncio.
    import asyncio

    loop = asyncio.get_running_loop()
    own_cancellable = Gio.Cancellable()
    link = None
    if cancellable is not None:
        link = cancellable.connect(lambda *_: own_cancellable.cancel())
    if progress is not None:
        progress = functools.partial(loop.call_soon_threadsafe, progress)

    future = loop.run_in_executor(None, run_calls, executor, calls,
                                  own_cancellable, progress, return_exceptions)
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        own_cancellable.cancel()
        await asyncio.wait([future])
        if not future.cancelled():
            future.exception()
        raise
    finally:
        if link:
            cancellable.disconnect(link)
