# Shared by scripts/test.sh and scripts/demo.sh: install what the build needs
# from Debian's archive, then build and install the extension.

# The host's PostgreSQL (Debian 12's only one); others live in chroots (see
# scripts/chroot.sh and run_version in scripts/suites.sh).
HOST_PG_MAJOR=15
# Every major pglocks is built and tested against (README, "Supported
# PostgreSQL versions"); supported_pg N says whether N is one of them.
SUPPORTED_PG=(13 15 17 18 19)
supported_pg() { [[ " ${SUPPORTED_PG[*]} " == *" $1 "* ]]; }
PG_MAJOR=${PG_MAJOR:-$HOST_PG_MAJOR}
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/$PG_MAJOR/bin/pg_config}
# The tree that is built and tested: this checkout, or a copy of it inside a
# chroot. Commands that use that tree's PostgreSQL run as "${IN_TREE[@]}" CMD.
TREE_DIR=.
IN_TREE=()

as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

install_packages() {
	local wanted=(make g++ libssl-dev zlib1g-dev
		postgresql-common "postgresql-$PG_MAJOR" "postgresql-server-dev-$PG_MAJOR" "$@")
	local missing=() pkg
	for pkg in "${wanted[@]}"; do
		dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$pkg")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "==> installing ${missing[*]}"
	as_root apt-get update -qq &&
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends "${missing[@]}" >/dev/null
}

# build_extension [MAKE_VARIABLES...], e.g. SANITIZE=undefined
build_extension() {
	echo "==> building and installing pglocks for PostgreSQL $PG_MAJOR $*"
	"${IN_TREE[@]}" make -s PG_CONFIG="$PG_CONFIG" WERROR=1 "$@" &&
		as_root "${IN_TREE[@]}" make -s PG_CONFIG="$PG_CONFIG" "$@" install >/dev/null
}

# Run a command against a throwaway cluster (created and removed by
# postgresql-common's pg_virtualenv, also when run as root).
with_cluster() {
	"${IN_TREE[@]}" pg_virtualenv -t -v "$PG_MAJOR" "$@"
}
