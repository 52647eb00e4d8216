# conftest.py: what every PyGObject test of pmap-glib shares
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import os
import sys

import pytest

from helpers import GLib, Pmap

# A critical or a warning from GLib, GObject or pmap-glib is a bug that the
# tests must not pass over: abort.
GLib.log_set_always_fatal(GLib.LogLevelFlags.LEVEL_CRITICAL |
                          GLib.LogLevelFlags.LEVEL_WARNING)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """Executors take defaults from the environment: start from none."""
    monkeypatch.delenv('PMAP_N_JOBS', raising=False)
    monkeypatch.delenv('PMAP_BACKEND', raising=False)


@pytest.fixture(autouse=True)
def no_swallowed_exceptions(monkeypatch):
    """PyGObject prints an exception that escapes a callback (a signal
    handler, an async callback) instead of raising it: fail the test."""
    printed = []
    monkeypatch.setattr(sys, 'excepthook',
                        lambda *exc_info: printed.append(exc_info))
    yield
    assert not printed, f'exceptions escaped from callbacks: {printed}'


@pytest.fixture
def executor():
    """An executor that runs Python functions in this process: Python's
    default backend, processes, has tests of its own."""
    return Pmap.Executor(backend='threads')


@pytest.fixture(scope='session')
def test_module():
    """Loads the native functions of tests/pmap-test-module.c."""
    path = os.environ['PMAP_TEST_MODULE']
    assert Pmap.load_module(path)
    return path


# A skipped test passes silently in pytest's exit status: count it as a
# failure, so that `meson test` cannot go green on tests that did not run.
_skipped = []


def pytest_runtest_logreport(report):
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    if _skipped and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
