#!/usr/bin/env bash
# Inside pg_virtualenv: restart its cluster with the sanitizer runtime set up
# for the postmaster, then run the rest of the command line against it.
# Usage: restart_with_runtime.sh SANITIZERS REPORT_DIR COMMAND...
# AddressSanitizer must be loaded before the sanitized pglocks.so is opened,
# so it is preloaded into the (uninstrumented) postmaster, with asan_first.c.
# Reports go to REPORT_DIR/{asan,ubsan}.<pid>; an error aborts the backend.
set -euo pipefail
sanitizers=$1 reports=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
conf=${PG_CLUSTER_CONF_ROOT:-/etc/postgresql}/$PGVERSION/regress
{
	case $sanitizers in
	*address*)
		shim=$(mktemp -d)/asan_first.so
		gcc -shared -fPIC -o "$shim" "$here/asan_first.c" -ldl
		chmod -R a+rX "$(dirname "$shim")"
		echo "LD_PRELOAD = '$(gcc -print-file-name=libasan.so):$shim'"
		;;
	esac
	echo "ASAN_OPTIONS = 'detect_leaks=0:abort_on_error=1:log_path=$reports/asan'"
	echo "UBSAN_OPTIONS = 'print_stacktrace=1:halt_on_error=1:log_path=$reports/ubsan'"
} >"$conf/environment"
pg_ctlcluster "$PGVERSION" regress restart
"$@"
