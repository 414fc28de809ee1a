#!/usr/bin/env bash
# make deb: the Debian package of every PostgreSQL version installed here
# (postgresql-NN-pglocks_<version>_<arch>.deb, see debian/pgversions), built
# from the committed tree the way Debian builds extension packages
# (dpkg-buildpackage, debhelper, postgresql-common's pg_buildext), into dist/.
# Installs the build dependencies from Debian's archive.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

install_packages debhelper dpkg-dev postgresql-server-dev-all
work=$(mktemp -d)
chmod 755 "$work" # the build-time tests run the server as postgres
trap 'rm -rf "$work"' EXIT

git archive --format tar --prefix pglocks/ HEAD | tar -C "$work" -xf -
(
	cd "$work/pglocks"
	pg_buildext checkcontrol # debian/control is up to date with control.in
	dpkg-checkbuilddeps
	dpkg-buildpackage --build=binary --no-sign
)
mkdir -p dist
cp "$work"/*.deb dist/
ls dist/*.deb
