# check-installed.py: the Python override works once installed
#
#   check-installed.py MESON BUILD_DIR PREFIX LIBDIR PYTHON_SITE OVERRIDES_DIR
#
# Installs the build into a temporary folder (meson install --destdir) and
# checks that every module of the override in OVERRIDES_DIR is there, then
# that a Python that sees only the installed files maps on worker
# processes with it. An override module that meson.build forgets to install
# passes every other test, which load the override from the source tree.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import os
import subprocess
import sys
import tempfile

CHECK = '''
import gi
gi.require_version('Pmap', '1.0')
from gi.repository import Pmap
import gi.overrides._pmap_remote as remote
assert remote.__file__.startswith({root!r}), remote.__file__
assert Pmap.Executor(n_jobs=2, backend='processes').map(range(5), abs) == [0, 1, 2, 3, 4]
'''


def main(meson, build_dir, prefix, libdir, python_site, overrides_dir):
    with tempfile.TemporaryDirectory(prefix='pmap-installed-') as destdir:
        subprocess.run([meson, 'install', '-C', build_dir, '--destdir', destdir,
                        '--no-rebuild', '--quiet'], check=True)
        root = destdir + prefix
        installed = destdir + python_site
        missing = [name for name in sorted(os.listdir(overrides_dir))
                   if name.endswith('.py')
                   and not os.path.exists(os.path.join(installed, 'gi', 'overrides', name))]
        if missing:
            sys.exit(f'not installed: {", ".join(missing)}; add them to introspection/meson.build')

        env = {key: value for key, value in os.environ.items()
               if key not in ('PYTHONPATH', 'GI_TYPELIB_PATH', 'LD_LIBRARY_PATH',
                              'PMAP_WORKER_PATH')}
        env.update(PYTHONPATH=installed,
                   GI_TYPELIB_PATH=os.path.join(root, libdir, 'girepository-1.0'),
                   LD_LIBRARY_PATH=os.path.join(root, libdir))
        subprocess.run([sys.executable, '-B', '-c', CHECK.format(root=root)], env=env,
                       check=True)
    print('the installed override maps on worker processes')


if __name__ == '__main__':
    if len(sys.argv) != 7:
        sys.exit(f'Usage: {sys.argv[0]} MESON BUILD_DIR PREFIX LIBDIR PYTHON_SITE OVERRIDES_DIR')
    main(*sys.argv[1:])
