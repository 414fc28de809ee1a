# PostgreSQL majors other than the host's, each in a Debian chroot of a
# release that ships it (Debian 12 ships 15 alone).
# The chroots are kept in $PGLOCKS_CHROOTS so that a second run on the same
# machine reuses them; a fresh machine builds them with debootstrap (a few
# minutes each). Runs as root. Sourced by scripts/suites.sh.

PGLOCKS_CHROOTS=${PGLOCKS_CHROOTS:-/var/cache/pglocks/chroots}
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

# The Debian release whose archive has PostgreSQL $1 (14 and 16 are in none
# that is reachable here; 13.23 in bullseye-security is missing from its pool,
# so bullseye uses main's 13.16).
debian_release_of() {
	case $1 in
	13) echo bullseye ;;
	17) echo trixie ;;
	18 | 19) echo sid ;;
	*) return 1 ;;
	esac
}

chroot_dir() { echo "$PGLOCKS_CHROOTS/$(debian_release_of "$1")"; }

# One run at a time uses a chroot (others wait their turn): use_chroot MAJOR
# takes it, builds it if missing with that PostgreSQL and the build's
# packages, and mounts its file systems; release_chroot gives it back, also
# when the run is interrupted (scripts/suites.sh's exit trap). Commands run in
# it with in_chroot.
CHROOT_IN_USE=""  # its root directory
CHROOT_LOCK=""    # the descriptor of the lock on it
CHROOT_CLUSTER="" # a cluster of this run in it, dropped on release
use_chroot() {
	local major=$1 release root
	release=$(debian_release_of "$major") || {
		echo "no Debian release reachable here ships PostgreSQL $major" >&2
		return 1
	}
	[ "$(id -u)" -eq 0 ] || {
		echo "PostgreSQL $major is tested in a chroot: run as root" >&2
		return 1
	}
	root=$(chroot_dir "$major")
	mkdir -p "$PGLOCKS_CHROOTS" && exec {CHROOT_LOCK}>"$root.lock" || return
	flock -n "$CHROOT_LOCK" ||
		echo "waiting for $root: another run is using it (fuser -v $root.lock)" >&2
	if ! flock -w 1800 "$CHROOT_LOCK"; then
		echo "$root has been in use by another run for 30 minutes (fuser -v $root.lock)" >&2
		exec {CHROOT_LOCK}>&-
		return 1
	fi
	CHROOT_IN_USE=$root
	build_chroot "$major" "$release" "$root" || {
		release_chroot
		return 1
	}
}

release_chroot() {
	[ -n "$CHROOT_IN_USE" ] || return 0
	if [ -n "$CHROOT_CLUSTER" ]; then
		in_chroot pg_dropcluster --stop $CHROOT_CLUSTER
		CHROOT_CLUSTER=""
	fi
	rm -rf "$CHROOT_IN_USE/build/pglocks.$$"
	unmount_chroot "$CHROOT_IN_USE"
	exec {CHROOT_LOCK}>&-
	CHROOT_IN_USE=""
}

# in_chroot CMD...: CMD in the chroot in use, without this run's descriptor of
# its lock (a server started there would hold the lock after the run)
in_chroot() {
	chroot "$CHROOT_IN_USE" "$@" {CHROOT_LOCK}>&-
}

# use_version MAJOR: build and run against PostgreSQL MAJOR: the host's, or
# a chroot's with a copy of this tree in it (release_chroot removes it). Sets
# PG_MAJOR, PG_CONFIG, PG_ROOT (the chroot, or empty), TREE_DIR and IN_TREE
# (scripts/lib.sh); a caller that declares them local keeps them to itself.
use_version() {
	PG_MAJOR=$1 PG_CONFIG=/usr/lib/postgresql/$1/bin/pg_config PG_ROOT="" TREE_DIR=. IN_TREE=()
	[ "$PG_MAJOR" = "$HOST_PG_MAJOR" ] && return 0
	use_chroot "$PG_MAJOR" || return
	PG_ROOT=$CHROOT_IN_USE
	TREE_DIR=$PG_ROOT/build/pglocks.$$
	IN_TREE=(in_chroot env -C "/build/pglocks.$$" PG_MAJOR="$PG_MAJOR")
	copy_tree "$TREE_DIR" || {
		release_chroot
		return 1
	}
}

# copy_tree DIR: this checkout's files (committed or not, less what git
# ignores) into DIR
copy_tree() {
	rm -rf "$1" && mkdir -p "$1" &&
		git ls-files -z -co --exclude-standard |
		tar --null -T - --ignore-failed-read -cf - | tar -C "$1" -xf -
}

# with_chroot_cluster CMD...: CMD on the host against a new cluster of the
# chroot's PostgreSQL (on a free port, named after this run), reached through
# its socket; libpq's environment points at it and $SERVER_LOG names its log.
# The cluster is dropped afterwards (or by release_chroot).
with_chroot_cluster() {
	local root=$CHROOT_IN_USE name=run$$ port rc
	in_chroot pg_createcluster -q "$PG_MAJOR" "$name" -- --auth-local=trust >/dev/null || return
	CHROOT_CLUSTER="$PG_MAJOR $name"
	in_chroot pg_ctlcluster "$PG_MAJOR" "$name" start || return
	port=$(in_chroot pg_lsclusters -h "$PG_MAJOR" "$name" | cut -d" " -f3)
	PGHOST="$root/run/postgresql" PGPORT=$port PGUSER=postgres PGDATABASE=postgres \
		SERVER_LOG="$root/var/log/postgresql/postgresql-$PG_MAJOR-$name.log" "$@"
	rc=$?
	in_chroot pg_dropcluster --stop "$PG_MAJOR" "$name" && CHROOT_CLUSTER=""
	return $rc
}

# with_server CMD...: CMD against a throwaway cluster of the version in use
with_server() {
	if [ -n "$PG_ROOT" ]; then with_chroot_cluster "$@"; else with_cluster "$@"; fi
}

build_chroot() {
	local major=$1 release=$2 root=$3
	if [ ! -e "$root/.pglocks-debootstrapped" ]; then
		# on the host (PG_MAJOR is the chroot's version here)
		PG_MAJOR=$HOST_PG_MAJOR install_packages debootstrap || return
		# what a failed debootstrap left, never what is mounted in it
		unmount_chroot "$root"
		if mountpoint -q "$root/dev" || mountpoint -q "$root/proc" || mountpoint -q "$root/sys"; then
			echo "$root has file systems mounted: not removing it" >&2
			return 1
		fi
		rm -rf --one-file-system "$root"
		echo "==> debootstrap $release into $root"
		debootstrap --variant=minbase "$release" "$root" "$DEBIAN_MIRROR" \
			>"$root.debootstrap.log" 2>&1 || {
			tail -n 20 "$root.debootstrap.log"
			return 1
		}
		touch "$root/.pglocks-debootstrapped"
	fi
	mount_chroot "$root" || return
	[ -e "$root/.pglocks-ready-$major" ] && return 0
	echo "==> installing PostgreSQL $major in the $release chroot"
	provision_chroot "$major" "$release" "$root" >"$root.provision-$major.log" 2>&1 || {
		tail -n 30 "$root.provision-$major.log"
		return 1
	}
	touch "$root/.pglocks-ready-$major"
}

provision_chroot() {
	local major=$1 release=$2 root=$3 from=""
	# The archive served here is a snapshot: sid's Release is past Valid-Until.
	echo 'Acquire::Check-Valid-Until "false";' >"$root/etc/apt/apt.conf.d/99pglocks"
	echo "deb $DEBIAN_MIRROR $release main" >"$root/etc/apt/sources.list"
	if [ "$major" = 19 ]; then # 19 is in experimental only
		echo "deb $DEBIAN_MIRROR experimental main" >>"$root/etc/apt/sources.list"
		from=/experimental
	fi
	# No cluster of its own: the tests make throwaway ones.
	mkdir -p "$root/etc/postgresql-common/createcluster.d"
	echo 'create_main_cluster = false' >"$root/etc/postgresql-common/createcluster.d/pglocks.conf"
	in_chroot apt-get update -q &&
		in_chroot env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			--no-install-recommends "postgresql-$major$from" "postgresql-client-$major$from" \
			"postgresql-server-dev-$major$from" postgresql-common make g++ libssl-dev \
			zlib1g-dev build-essential debhelper dpkg-dev postgresql-server-dev-all locales-all &&
		if [ "$major" = 13 ]; then build_isolation_tester "$major" "$release" "$root"; fi
}

# Debian packages PGXS's isolation tester from 14 on: for 13, build it from
# the source package of the very same server release and put it where PGXS
# looks for it.
build_isolation_tester() {
	local major=$1 release=$2 root=$3 pgxs
	pgxs=/usr/lib/postgresql/$major/lib/pgxs/src/test/isolation
	echo "deb-src $DEBIAN_MIRROR $release main" >"$root/etc/apt/sources.list.d/sources.list"
	in_chroot apt-get update -q &&
		rm -rf "$root/build/postgresql-src" && mkdir -p "$root/build/postgresql-src" &&
		in_chroot sh -ec "
			cd /build/postgresql-src
			apt-get source -q --download-only postgresql-$major
			tar xf postgresql-${major}_*.orig.tar.*
			cd postgresql-$major.*/
			./configure -q --without-readline --without-zlib --without-icu
			make -s -j\$(nproc) -C src/test/isolation
			install -d $pgxs
			install src/test/isolation/pg_isolation_regress src/test/isolation/isolationtester $pgxs
			" && rm -rf "$root/build/postgresql-src"
}

# /dev with what is mounted under it (pts, shm), as a slave so that nothing
# done in the chroot propagates back to the host
mount_chroot() {
	local root=$1
	mountpoint -q "$root/proc" || mount -t proc proc "$root/proc" || return
	mountpoint -q "$root/dev" || { mount --rbind /dev "$root/dev" && mount --make-rslave "$root/dev"; }
}

# what debootstrap or mount_chroot mounted; /proc stays while /dev is busy
# (a process still runs in the chroot)
unmount_chroot() {
	local root=$1
	if mountpoint -q "$root/dev"; then umount -R "$root/dev" || return; fi
	if mountpoint -q "$root/sys"; then umount -R "$root/sys"; fi
	if mountpoint -q "$root/proc"; then umount "$root/proc"; fi
	return 0
}
