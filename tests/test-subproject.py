#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later

'''Builds tests/subproject/, a minimal parent project, with a copy of this
source tree as its pmap-glib subproject, and runs its program. Only the
source tree is used, never a build directory of it.'''

import argparse
import os
import shutil
import subprocess
import sys
import tempfile


def ignore_build_output(folder, names):
    '''Leaves out version control data and meson build directories, which
    a fresh clone does not have.'''
    ignored = {'.git', '__pycache__'}
    for name in names:
        if os.path.isdir(os.path.join(folder, name, 'meson-private')):
            ignored.add(name)
    return ignored & set(names)


def run(command, cwd):
    print('$', ' '.join(command), flush=True)
    subprocess.run(command, cwd=cwd, check=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--meson', default='meson')
    parser.add_argument('source_root')
    args = parser.parse_args()

    source_root = os.path.abspath(args.source_root)
    consumer_sources = os.path.join(source_root, 'tests', 'subproject')

    with tempfile.TemporaryDirectory(prefix='pmap-subproject-') as workdir:
        consumer = os.path.join(workdir, 'consumer')
        shutil.copytree(consumer_sources, consumer)
        shutil.copytree(source_root,
                        os.path.join(consumer, 'subprojects', 'pmap-glib'),
                        ignore=ignore_build_output, symlinks=True)

        build = os.path.join(workdir, 'build')
        run([args.meson, 'setup', build, consumer,
             '--force-fallback-for=pmap-glib-1.0',
             '-Dpmap-glib:introspection=disabled',
             '-Dpmap-glib:vapi=disabled',
             '-Dpmap-glib:documentation=disabled',
             '-Dpmap-glib:tests=false'], cwd=workdir)
        run([args.meson, 'compile', '-C', build], cwd=workdir)

        program = os.path.join(build, 'pmap-consumer')
        result = subprocess.run([program], cwd=workdir, capture_output=True, text=True)
        sys.stdout.write(result.stdout)
        sys.stderr.write(result.stderr)
        if result.returncode != 0:
            print(f'pmap-consumer exited with status {result.returncode}', file=sys.stderr)
            return 1
        if 'results in order' not in result.stdout:
            print('pmap-consumer did not report its results', file=sys.stderr)
            return 1

    return 0


if __name__ == '__main__':
    sys.exit(main())
