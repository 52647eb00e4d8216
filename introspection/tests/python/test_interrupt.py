# test_interrupt.py: Ctrl-C during a blocking map
#
# Each test runs a script of its own in a child process, which sends
# itself SIGINT while a map waits, as Ctrl-C in a terminal does.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent('''
    import os, signal, sys, threading, time
    import gi
    gi.require_version('Pmap', '1.0')
    from gi.repository import Pmap

    def nap(seconds):
        time.sleep(seconds)
        return seconds

    backend, seconds = sys.argv[1], float(sys.argv[2])
    executor = Pmap.Executor(n_jobs=2, backend=backend)
    assert executor.map([0, 0], nap) == [0, 0]
    {before}
    threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT)).start()
    started = time.monotonic()
    try:
        executor.map([seconds] * 8, nap)
    except KeyboardInterrupt as exc:
        assert exc.__context__ is None or exc.__suppress_context__
        print(f'interrupted after {{time.monotonic() - started:.2f}}')
    else:
        print(f'finished after {{time.monotonic() - started:.2f}}')
    {after}
    print(executor.map([-1, -2], abs))
''')


def run_script(backend, seconds, before='', after=''):
    script = SCRIPT.format(before=textwrap.dedent(before), after=textwrap.dedent(after))
    child = subprocess.run([sys.executable, '-B', '-c', script, backend, str(seconds)],
                           capture_output=True, text=True, timeout=60)
    assert child.returncode == 0, child.stderr
    assert 'Traceback' not in child.stderr, child.stderr
    outcome, elapsed, results = child.stdout.split()[0], float(child.stdout.split()[2]), \
        child.stdout.splitlines()[-1]
    return outcome, elapsed, results


RESTORED = '''
assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
assert signal.set_wakeup_fd(-1) == -1
'''


@pytest.mark.parametrize('backend, seconds, bound', [
    # Busy workers are killed at once.
    ('processes', 5, 2.5),
    # Threads stop once their running calls return, here by 1.5 s.
    ('threads', 1, 2.5),
    # The call that runs on this thread returns, then the map stops.
    ('sequential', 1, 2.5),
])
def test_ctrl_c_stops_a_map_and_raises_keyboard_interrupt(backend, seconds, bound):
    outcome, elapsed, results = run_script(backend, seconds, after=RESTORED)

    assert outcome == 'interrupted'
    # Uninterrupted, the 8 calls take 4 seconds at least.
    assert elapsed < bound
    assert results == '[1, 2]'


def test_a_sigint_handler_of_the_program_is_kept():
    """A program that handles SIGINT itself gets the signal, and its map
    runs to the end."""
    before = '''
    got = []
    handler = lambda signum, frame: got.append(signum)
    signal.signal(signal.SIGINT, handler)
    '''
    after = '''
    assert got == [signal.SIGINT]
    assert signal.getsignal(signal.SIGINT) is handler
    '''
    outcome, elapsed, results = run_script('processes', 0.3, before=before, after=after)

    assert outcome == 'finished'
    assert results == '[1, 2]'
