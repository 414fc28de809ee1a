#!/usr/bin/env bash
# The Python client's tests, against the package as a user gets it: a wheel
# built offline (pip's build isolation would fetch setuptools from PyPI, so
# Debian's setuptools and wheel build it) from a copy of the sources, which
# keeps the tree clean; installed into a fresh consumer project that runs the
# README's first example, and into the virtual environment the feature tests
# run in, outside the tree. The server is the one libpq's environment (PGHOST,
# PGPORT, ...) points to; psycopg, psycopg_pool, psycopg2 and Django are
# Debian's (python3-psycopg etc.), seen through --system-site-packages.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
python=/usr/bin/python3 # Debian's, which has those packages
export PIP_NO_INDEX=1 PIP_DISABLE_PIP_VERSION_CHECK=1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== build"
mkdir "$work/src"
cp -r "$here/pyproject.toml" "$here/README.md" "$here/pglocks" "$work/src"
"$python" -m venv --system-site-packages "$work/venv"
"$work/venv/bin/pip" wheel -q --no-build-isolation --no-deps -w "$work/dist" "$work/src"
wheel=$(echo "$work"/dist/pglocks-2.1.0-py3-none-any.whl)

echo "== consumer project: the README's first example"
mkdir "$work/consumer"
"$python" -m venv --system-site-packages "$work/consumer/venv"
"$work/consumer/venv/bin/pip" install -q --no-deps "$wheel"
{
	cat <<'EOF'
import psycopg

import pglocks

shipped = []
LOCKED = ("SELECT NOT pg_try_advisory_lock(%s::bigint)", (pglocks.key_id("orders:42"),))


def ship_order(conn, order):
    """The example's body: the lock must be held, and only by conn."""
    with psycopg.connect(autocommit=True) as other:
        shipped.append((order, other.execute(*LOCKED).fetchone()[0]))


EOF
	awk '/^```python$/ { found = 1; next } /^```$/ && found { exit } found' "$here/README.md"
	cat <<'EOF'

assert shipped == [(42, True)], "the block did not run under the lock: %r" % shipped
with psycopg.connect(autocommit=True) as other:
    assert not other.execute(*LOCKED).fetchone()[0], "the lock was not released"
print("ok: the lock was taken for the block and released")
EOF
} >"$work/consumer/main.py"
(cd "$work/consumer" && venv/bin/python main.py)

echo "== feature tests, against the installed package"
"$work/venv/bin/pip" install -q --no-deps "$wheel"
cp -r "$here/tests" "$work/tests"
cd "$work"
venv/bin/python -c 'import pglocks, sys; "/venv/" in pglocks.__file__ or sys.exit("imported " + pglocks.__file__ + ", not the installed package")'
PGLOCKS_VECTORS=$here/../../vectors/key_ids.tsv venv/bin/python -m unittest discover -v -s tests -t .
