# test_config.py: executor settings by keyword and name, and
# Pmap.parallel_config()
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import threading

import pytest

from helpers import GLib, Pmap, assert_error


def settings(executor):
    return (executor.props.backend.props.name, executor.props.n_jobs,
            executor.props.batch_size, executor.props.serializer.props.name)


@pytest.fixture(autouse=True)
def no_serializer_setting(monkeypatch):
    monkeypatch.delenv('PMAP_SERIALIZER', raising=False)


def test_settings_by_name():
    executor = Pmap.Executor(n_jobs=3, backend='sequential', batch_size=5,
                             serializer='variant')

    assert settings(executor) == ('sequential', 3, 5, 'variant')


def test_settings_as_objects():
    backend = Pmap.Backend.create('threads')
    serializer = Pmap.Serializer.create('variant')

    executor = Pmap.Executor(backend=backend, serializer=serializer)

    assert executor.props.backend is backend
    assert executor.props.serializer is serializer


def test_defaults():
    # Python's default backend is processes, as joblib's: Python code runs
    # in parallel only there.
    assert settings(Pmap.Executor()) == ('processes', -1, 0, 'general')
    assert Pmap.Executor(batch_size='auto').props.batch_size == 0


@pytest.mark.parametrize('kwargs, code', [
    ({'backend': 'dask'}, Pmap.Error.UNKNOWN_BACKEND),
    ({'serializer': 'marshal'}, Pmap.Error.UNKNOWN_SERIALIZER),
])
def test_unknown_names(kwargs, code):
    with pytest.raises(GLib.Error) as info:
        Pmap.Executor(**kwargs)

    assert_error(info.value, Pmap.error_quark(), code)


@pytest.mark.parametrize('kwargs, exception', [
    ({'n_jobs': 0}, ValueError),
    ({'n_jobs': 1.5}, ValueError),
    ({'batch_size': -1}, ValueError),
    ({'max_nbytes': 100}, ValueError),
    ({'max_nbytes': '1X'}, ValueError),
    ({'max_nbytes': True}, ValueError),
    ({'backend': 3}, TypeError),
    ({'serializer': Pmap.Backend.create('threads')}, TypeError),
])
def test_bad_values(kwargs, exception):
    with pytest.raises(exception):
        Pmap.Executor(**kwargs)
    with pytest.raises(exception):
        Pmap.parallel_config(**kwargs)


def test_max_nbytes_as_joblib_writes_it():
    assert Pmap.Executor().props.max_nbytes == 1 << 20
    assert Pmap.Executor(max_nbytes='2M').props.max_nbytes == 2 << 20
    assert Pmap.Executor(max_nbytes='64k').props.max_nbytes == 64 << 10
    assert Pmap.Executor(max_nbytes=8192).props.max_nbytes == 8192
    with Pmap.parallel_config(max_nbytes='1G'):
        assert Pmap.Executor().props.max_nbytes == 1 << 30


def test_keywords_beat_the_environment(monkeypatch):
    monkeypatch.setenv('PMAP_BACKEND', 'sequential')
    monkeypatch.setenv('PMAP_N_JOBS', '3')

    assert settings(Pmap.Executor(backend='threads', n_jobs=2))[:2] == ('threads', 2)
    assert settings(Pmap.Executor())[:2] == ('sequential', 3)


def test_parallel_config_sets_defaults():
    with Pmap.parallel_config(backend='sequential', n_jobs=1, batch_size=4,
                              serializer='variant'):
        inside = Pmap.Executor()
        explicit = Pmap.Executor(backend='threads', n_jobs=2)
    after = Pmap.Executor()

    assert settings(inside) == ('sequential', 1, 4, 'variant')
    assert settings(explicit) == ('threads', 2, 4, 'variant')
    assert settings(after) == ('processes', -1, 0, 'general')


def test_parallel_config_beats_the_environment(monkeypatch):
    monkeypatch.setenv('PMAP_BACKEND', 'dask')

    with Pmap.parallel_config('sequential'):
        executor = Pmap.Executor()

    assert executor.props.backend.props.name == 'sequential'
    assert executor.map(range(3), str) == ['0', '1', '2']


def test_parallel_config_nests():
    with Pmap.parallel_config(backend='sequential', n_jobs=2):
        with Pmap.parallel_config(n_jobs=3, batch_size=9):
            inner = settings(Pmap.Executor())
        outer = settings(Pmap.Executor())

    assert inner == ('sequential', 3, 9, 'general')
    assert outer == ('sequential', 2, 0, 'general')


def test_parallel_config_restored_after_an_exception():
    with pytest.raises(KeyError):
        with Pmap.parallel_config(backend='sequential'):
            raise KeyError('out')

    assert Pmap.Executor().props.backend.props.name == 'processes'


def test_parallel_config_names_make_one_backend_per_executor():
    backend = Pmap.Backend.create('sequential')

    with Pmap.parallel_config(backend='threads'):
        first, second = Pmap.Executor(), Pmap.Executor()
    with Pmap.parallel_config(backend=backend):
        third = Pmap.Executor()

    assert first.props.backend is not second.props.backend
    assert third.props.backend is backend


def test_parallel_config_as_a_decorator():
    @Pmap.parallel_config(backend='sequential', n_jobs=1)
    def run():
        executor = Pmap.Executor()
        return executor.props.backend.props.name, executor.map(range(3), lambda x: -x)

    assert run() == ('sequential', [0, -1, -2])
    assert Pmap.Executor().props.backend.props.name == 'processes'


def test_parallel_config_belongs_to_the_context():
    """A thread starts in a context of its own, without the caller's
    settings."""
    seen = []

    with Pmap.parallel_config(backend='sequential'):
        thread = threading.Thread(
            target=lambda: seen.append(Pmap.Executor().props.backend.props.name))
        thread.start()
        thread.join()

    assert seen == ['processes']
