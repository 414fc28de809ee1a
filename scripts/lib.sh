# Shared by scripts/test.sh and scripts/demo.sh: install what the build needs
# from Debian's archive, then build and install the extension.

PG_MAJOR=${PG_MAJOR:-15}
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/$PG_MAJOR/bin/pg_config}

as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

install_packages() {
	local wanted=(make g++ cmake libgtest-dev libssl-dev zlib1g-dev
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
	make -s PG_CONFIG="$PG_CONFIG" WERROR=1 "$@" &&
		as_root make -s PG_CONFIG="$PG_CONFIG" "$@" install >/dev/null
}

# Run a command against a throwaway cluster (created and removed by
# postgresql-common's pg_virtualenv, also when run as root).
with_cluster() {
	pg_virtualenv -t -v "$PG_MAJOR" "$@"
}
