#!/usr/bin/env bash
# make deb: the Debian package of every PostgreSQL version installed here
# (postgresql-NN-pglocks_<version>_<arch>.deb, see debian/pgversions), built
# from the committed tree the way Debian builds extension packages
# (dpkg-buildpackage, debhelper, postgresql-common's pg_buildext), into dist/.
# Installs the build dependencies from Debian's archive.
# scripts/deb.sh SOURCE.tar builds from that archive of the tree instead (git
# archive --prefix pglocks/), where there is no git (a chroot).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

install_packages debhelper dpkg-dev postgresql-server-dev-all
work=$(mktemp -d)
chmod 755 "$work" # the build-time tests run the server as postgres
trap 'rm -rf "$work"' EXIT

if [ $# -gt 0 ]; then
	tar -C "$work" -xf "$1"
else
	git archive --format tar --prefix pglocks/ HEAD | tar -C "$work" -xf -
fi
(
	cd "$work/pglocks"
	# debian/control names a package per PostgreSQL version the machine
	# supports: the committed one is Debian 12's, and must be up to date with
	# debian/control.in; elsewhere (a chroot: from SOURCE.tar) it is rewritten
	if [ $# -gt 0 ]; then pg_buildext updatecontrol; else pg_buildext checkcontrol; fi
	dpkg-checkbuilddeps
	dpkg-buildpackage --build=binary --no-sign
)
mkdir -p dist
cp "$work"/*.deb dist/
ls dist/*.deb
