# helpers.py: building inputs and waiting for asynchronous maps
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import time

import gi

gi.require_version('GLib', '2.0')
gi.require_version('Gio', '2.0')
gi.require_version('Pmap', '1.0')

from gi.repository import Gio, GLib, Pmap  # noqa: E402,F401


def ints(values):
    """The int64 GVariants that the maps take as inputs."""
    return [GLib.Variant('x', v) for v in values]


def unpack(results):
    return [v.unpack() for v in results]


def assert_error(error, domain, code, prefix=None):
    """Checks a GLib.Error's domain, code and the start of its message."""
    assert error.matches(domain, code), \
        f'expected {GLib.quark_to_string(domain)} {code}, got {error}'
    if prefix is not None:
        assert error.message.startswith(prefix), error.message


class AsyncOutcome:
    """What an asynchronous map handed to its callback."""

    def __init__(self):
        self.results = None
        self.error = None
        self.callback_data = None
        self.caller_owned_context = None

    def get(self):
        if self.error is not None:
            raise self.error
        return self.results


def run_async(start, finish, context=None, timeout_s=60):
    """Runs a main loop on @context until an asynchronous map completes.

    @start(callback) starts the map with @callback; @finish is the _finish
    method that the callback calls. Assertions inside GLib callbacks would
    only be printed, so everything is recorded here and checked afterwards.
    """
    loop = GLib.MainLoop.new(context, False)
    outcome = AsyncOutcome()
    completed = []

    def done(executor, result, *callback_data):
        outcome.caller_owned_context = (context or GLib.MainContext.default()).is_owner()
        outcome.callback_data = callback_data
        try:
            outcome.results = finish(result)
        except Exception as error:
            outcome.error = error
        completed.append(True)
        loop.quit()

    def give_up():
        loop.quit()
        return GLib.SOURCE_REMOVE

    guard = GLib.timeout_source_new_seconds(timeout_s)
    guard.set_callback(give_up)
    guard.attach(context)
    start(done)
    if not completed:
        loop.run()
    guard.destroy()

    assert completed, f'the map did not complete within {timeout_s} s'
    return outcome


def cancel_from_progress(executor, n_done_to_cancel_at):
    """Sets @executor up to run slow Python tasks two at a time, one per
    batch, and to cancel the map from its progress handler once
    @n_done_to_cancel_at tasks are done.

    Returns the cancellable, the slow function and the list of the inputs
    it was called with.
    """
    executor.props.n_jobs = 2
    executor.props.batch_size = 1
    cancellable = Gio.Cancellable()
    calls = []

    def slow(item):
        calls.append(item.unpack())
        time.sleep(0.005)
        return item

    def on_progress(executor, n_done, n_tasks):
        if n_done >= n_done_to_cancel_at:
            cancellable.cancel()

    executor.connect('progress', on_progress)
    return cancellable, slow, calls


def napping(seconds=0.01):
    """A function that records its argument, sleeps, and returns it, with
    the list of the arguments it was called with."""
    started = []

    def nap(x):
        started.append(x)
        time.sleep(seconds)
        return x

    return nap, started
