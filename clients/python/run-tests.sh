#!/usr/bin/env bash
# The Python client's tests against the package as pip installs it: into a
# fresh virtual environment (with Debian's psycopg, psycopg2 and Django from
# the system's site-packages), offline (no build isolation: Debian's
# setuptools builds it), and run from outside the source tree.
set -euo pipefail
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 -m venv --system-site-packages "$work/venv"
"$work/venv/bin/pip" install -q --no-build-isolation --no-deps "$PWD"
rm -rf build pglocks.egg-info # what setuptools leaves in the source tree
cp -r tests "$work/tests"
cd "$work"
venv/bin/python -c 'import pglocks, sys; "/venv/" in pglocks.__file__ or sys.exit("imported " + pglocks.__file__ + ", not the installed package")'
PGLOCKS_VECTORS=$OLDPWD/../../vectors/key_ids.tsv venv/bin/python -m unittest discover -v -s tests -t .
