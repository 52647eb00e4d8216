# check-readme.py README EXAMPLES_DIR: fails unless every code block of
# README that follows a link to an example, as in
#
#   In C ([docs/examples/squares.c](docs/examples/squares.c)):
#
# appears word for word in that example, so that the README shows the code
# that the tests run.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import pathlib
import re
import sys

readme_path, examples_dir = map(pathlib.Path, sys.argv[1:3])
readme = readme_path.read_text(encoding='utf-8')

excerpt = re.compile(r'\[docs/examples/([\w.-]+)\]\([^)]*\)\):\n\n'
                     r'```\w*\n(.*?)^```', re.S | re.M)

found = 0
failed = False
for name, code in excerpt.findall(readme):
    found += 1
    if code not in (examples_dir / name).read_text(encoding='utf-8'):
        print(f'{readme_path}: the code shown for {name} is not in '
              f'{examples_dir / name}', file=sys.stderr)
        failed = True

if found == 0:
    sys.exit(f'{readme_path} shows no example code')
print(f'{found} excerpts checked')
sys.exit(1 if failed else 0)
