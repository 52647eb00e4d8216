# _pmap_config.py: executor settings given by name, and parallel_config()
#
# SPDX-License-Identifier: LGPL-2.1-or-later

"""The settings of a new executor: what its constructor was given, else
what the innermost parallel_config() in effect says, else the
environment (the PMAP_* variables), else the defaults: the processes
backend, as joblib's loky, -1 jobs, automatic batches and the general
serializer, which Python reads as cloudpickle."""

import contextlib
import contextvars
import os

from ..importer import modules

Pmap = modules['Pmap']._introspection_module

__all__ = ['parallel_config', 'executor_properties']

# The settings of the parallel_config() blocks that the current context is
# in, merged: a dict from property name to value, never changed in place.
_in_effect = contextvars.ContextVar('pmap_parallel_config', default={})


def _object_or_name(kind, example):
    """A check for a setting given as a @kind or by the name that
    kind.create() takes, such as @example."""
    def check(value):
        if isinstance(value, str):
            return kind.create(value)
        if isinstance(value, kind):
            return value
        raise TypeError(f'a {kind.__name__.lower()} is given by a name, such '
                        f'as “{example}”, or as a Pmap.{kind.__name__}, not '
                        f'{type(value).__name__}')
    return check


def _n_jobs(value):
    if not isinstance(value, int) or value == 0:
        raise ValueError(f'n_jobs is {value!r}; give a positive number of '
                         'jobs, or a negative one (-1 for one job per '
                         'processor, -2 for all but one, …)')
    return value


def _timeout(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        raise ValueError(f'timeout is {value!r}; give the seconds that one call '
                         'may run, or 0 for no limit')
    return float(value)


def _retries(value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f'retries is {value!r}; give how many times a call '
                         'whose worker died may run again, 0 or more')
    return value


_UNITS = {'K': 1 << 10, 'M': 1 << 20, 'G': 1 << 30}


def _max_nbytes(value):
    """A size in bytes, or as joblib writes it: '1M', '512K', '2G'."""
    if isinstance(value, str) and value[-1:].upper() in _UNITS and value[:-1].isdigit():
        value = int(value[:-1]) * _UNITS[value[-1].upper()]
    if isinstance(value, bool) or not isinstance(value, int) or value < 4096:
        raise ValueError(f'max_nbytes is {value!r}; give the size from which a '
                         'value is large, 4096 bytes or more, as a number or '
                         'as joblib writes it (“1M”, “512K”)')
    return value


def _batch_size(value):
    if value == 'auto':
        return 0
    if not isinstance(value, int) or value < 0:
        raise ValueError(f'batch_size is {value!r}; give a number of calls '
                         'per batch, or 0 (or “auto”) to let the executor '
                         'choose')
    return value


# Property name -> function that checks a value, turning names into objects.
_CHECKS = {
    'backend': _object_or_name(Pmap.Backend, 'threads'),
    'n_jobs': _n_jobs,
    'batch_size': _batch_size,
    'serializer': _object_or_name(Pmap.Serializer, 'general'),
    'timeout': _timeout,
    'retries': _retries,
    'max_nbytes': _max_nbytes,
}


def _checked(settings):
    return {name: _CHECKS[name](value)
            for name, value in settings.items() if value is not None}


# Python's default backend, where C's is threads: Python code holds the
# GIL on threads, so that only worker processes run it in parallel.
DEFAULT_BACKEND = 'processes'


def executor_properties(**given):
    """The construct properties of a new executor: @given, where not None,
    over those of the parallel_config() in effect, over PMAP_BACKEND, over
    DEFAULT_BACKEND. A backend or serializer named in any is created for
    this executor."""
    settings = {**_in_effect.get(), **{k: v for k, v in given.items()
                                       if v is not None}}
    if 'backend' not in settings and os.environ.get('PMAP_BACKEND') is None:
        settings['backend'] = DEFAULT_BACKEND
    return _checked(settings)


class parallel_config(contextlib.ContextDecorator):
    """Sets the defaults of the executors created inside a with block.

        with Pmap.parallel_config(backend='sequential', n_jobs=1):
            results = Pmap.Executor().map(items, func)

    Settings left to None keep the value of an enclosing parallel_config(),
    if any. The defaults belong to the current context (contextvars): a
    thread or asyncio task started inside the block sees them only if it
    copies the context, as asyncio tasks do. Used as a decorator, it applies
    to every call of the decorated function.
    """

    def __init__(self, backend=None, *, n_jobs=None, batch_size=None,
                 serializer=None, timeout=None, retries=None, max_nbytes=None):
        settings = {'backend': backend, 'n_jobs': n_jobs,
                    'batch_size': batch_size, 'serializer': serializer,
                    'timeout': timeout, 'retries': retries,
                    'max_nbytes': max_nbytes}
        # Refuse bad values now, as joblib does, not in some executor later;
        # names are kept as names, so that each executor gets a backend of
        # its own.
        _checked(settings)
        self._settings = {k: v for k, v in settings.items() if v is not None}
        self._tokens = []

    def __enter__(self):
        merged = {**_in_effect.get(), **self._settings}
        self._tokens.append(_in_effect.set(merged))
        return self

    def __exit__(self, *exc_info):
        _in_effect.reset(self._tokens.pop())
        return False
