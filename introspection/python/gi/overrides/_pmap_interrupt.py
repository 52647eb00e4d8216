# _pmap_interrupt.py: Ctrl-C during a blocking map
#
# SPDX-License-Identifier: LGPL-2.1-or-later

"""A Ctrl-C stops a blocking map at once, and raises KeyboardInterrupt.

A blocking map waits in C, where Python cannot run its SIGINT handler:
left alone, Ctrl-C would wait for the whole map, then raise
KeyboardInterrupt inside whichever callback of the map ran next, where
PyGObject prints it and goes on. So, while a map that the main thread
waits for runs, SIGINT has a handler of ours, which only cancels the map,
and Python's wakeup descriptor is a socket that a thread of ours reads:
Python writes the signal's number there the moment it arrives, and that
thread cancels the map too, from outside the wait. Once the map has
stopped, KeyboardInterrupt is raised, as joblib's Parallel does.

Only for the main thread, where Python runs signal handlers, and only
while SIGINT has Python's default handler: a program that handles SIGINT
itself keeps its way.
"""

import contextlib
import os
import signal
import socket
import threading

from gi.repository import Gio


class _Watcher:
    """The thread that reads the wakeup socket while maps wait, and
    cancels them on SIGINT; one per process, started by the first map."""

    def __init__(self):
        self.reader, self.writer = socket.socketpair()
        self.writer.setblocking(False)
        self.lock = threading.Lock()
        # Each waiting map's cancellable, and the wakeup descriptor that
        # was set before it, which gets every byte as it would have.
        self.waiting = {}
        threading.Thread(target=self._watch, name='pmap-sigint', daemon=True).start()

    def _watch(self):
        while True:
            data = self.reader.recv(64)
            with self.lock:
                waiting = list(self.waiting.items())
            for cancellable, previous_fd in waiting:
                if signal.SIGINT in data:
                    cancellable.cancel()
                if previous_fd != -1:
                    with contextlib.suppress(OSError):
                        os.write(previous_fd, data)


_watcher = None


def _forget_watcher():
    """In a copy of this process made by fork(), which has none of its
    threads: the next map starts a watcher of its own."""
    global _watcher
    _watcher = None


os.register_at_fork(after_in_child=_forget_watcher)


def _the_watcher():
    global _watcher
    if _watcher is None:
        _watcher = _Watcher()
    return _watcher


@contextlib.contextmanager
def interrupts_cancel(cancellable):
    """Runs its body, a blocking map, so that Ctrl-C stops it: yields the
    cancellable that the map must use, which @cancellable (if not None)
    also cancels. After a SIGINT, raises KeyboardInterrupt once the map
    has stopped, in place of its cancellation error."""
    if (threading.current_thread() is not threading.main_thread() or
            signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
        yield cancellable
        return

    own = Gio.Cancellable()
    link = cancellable.connect(lambda *_: own.cancel()) if cancellable is not None else 0
    interrupted = False

    def on_sigint(signum, frame):
        nonlocal interrupted
        interrupted = True
        own.cancel()

    watcher = _the_watcher()
    previous_handler = signal.signal(signal.SIGINT, on_sigint)
    previous_fd = signal.set_wakeup_fd(watcher.writer.fileno(), warn_on_full_buffer=False)
    with watcher.lock:
        watcher.waiting[own] = previous_fd
    try:
        yield own
    finally:
        # The map has returned, so the wakeup byte was written and the
        # handler is pending: the calls below run it, while it is still
        # ours.
        with watcher.lock:
            del watcher.waiting[own]
        signal.set_wakeup_fd(previous_fd)
        if link:
            cancellable.disconnect(link)
        signal.signal(signal.SIGINT, previous_handler)
        if interrupted:
            raise KeyboardInterrupt from None
