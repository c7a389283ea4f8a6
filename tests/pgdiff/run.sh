#!/usr/bin/env bash
# tests/pgdiff/run.sh - differential test of numseq against a private
# PostgreSQL 15 server.
#
#   bash tests/pgdiff/run.sh [pgdiff.py args: --seed S --scenarios N --ops M ...]
#
# Builds tests/pgdiff/pgdiff_driver (in build/pgdiff, with ASan + UBSan, so
# that the random int64 extremes also look for undefined behaviour), starts a
# throw-away PostgreSQL 15 server (initdb in a mktemp directory, unix socket
# only, no TCP), runs pgdiff.py against it, stops the server on any exit and
# returns pgdiff.py's status.
#
# Environment:
#   NUMSEQ_PGDIFF_DRIVER=path   use this driver binary instead of building one
#   NUMSEQ_PGDIFF_BUILD_DIR=dir where to build it (default build/pgdiff)
#   NUMSEQ_PGDIFF_SANITIZE=0    build it without sanitizers
#   NUMSEQ_PGDIFF_OPTIONAL=1    if PostgreSQL 15 cannot be had, print SKIP and
#                               exit 0 (otherwise that is a failure)
#   NUMSEQ_PGDIFF_PGBIN=dir     PostgreSQL 15 binaries (default /usr/lib/postgresql/15/bin)
#   NUMSEQ_PGDIFF_PORT=n        the server's port number (default 54329; it only
#                               names the socket file in the private directory)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

PGBIN=${NUMSEQ_PGDIFF_PGBIN:-/usr/lib/postgresql/15/bin}
PY=${NUMSEQ_PGDIFF_PYTHON:-/usr/bin/python3}   # Debian's python3 has python3-psycopg2
PORT=${NUMSEQ_PGDIFF_PORT:-54329}

say() { printf 'pgdiff/run.sh: %s\n' "$*"; }

unavailable() {
	if [[ "${NUMSEQ_PGDIFF_OPTIONAL:-0}" == 1 ]]; then
		say "SKIP: $* (NUMSEQ_PGDIFF_OPTIONAL=1)"
		exit 0
	fi
	say "FAILED: $* (set NUMSEQ_PGDIFF_OPTIONAL=1 to skip instead)" >&2
	exit 1
}

if [[ "$(id -u)" -eq 0 ]]; then
	as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
	as_root=(sudo -n)
else
	as_root=(false)
fi

# ---- PostgreSQL 15 and psycopg2, from Debian's packages (idempotent) --------
# --no-upgrade: a package that is already installed is left as it is (other
# users of this machine may be running its binaries).
apt_install() {
	local opts=(-y --no-upgrade -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
	"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install "${opts[@]}" "$@" ||
		{ "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update &&
		  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install "${opts[@]}" "$@"; }
}

if [[ ! -x $PGBIN/postgres || ! -x $PGBIN/initdb ]]; then
	say "PostgreSQL 15 is not installed: installing the Debian package postgresql-15"
	# The package would otherwise create and start a "main" cluster of its own.
	if [[ ! -e /etc/postgresql-common/createcluster.conf ]]; then
		"${as_root[@]}" mkdir -p /etc/postgresql-common 2>/dev/null &&
			echo "create_main_cluster = false" |
			"${as_root[@]}" tee /etc/postgresql-common/createcluster.conf >/dev/null || true
	fi
	apt_install postgresql-15 || true
	[[ -x $PGBIN/postgres && -x $PGBIN/initdb ]] ||
		unavailable "PostgreSQL 15 binaries missing in $PGBIN and apt-get could not install postgresql-15"
fi
if ! "$PY" -c 'import psycopg2' 2>/dev/null; then
	say "psycopg2 is missing: installing the Debian package python3-psycopg2"
	apt_install python3-psycopg2 || true
	"$PY" -c 'import psycopg2' 2>/dev/null ||
		unavailable "$PY cannot import psycopg2 and apt-get could not install python3-psycopg2"
fi

# ---- the driver ---------------------------------------------------------------
driver=${NUMSEQ_PGDIFF_DRIVER:-}
if [[ -z $driver ]]; then
	bdir=${NUMSEQ_PGDIFF_BUILD_DIR:-build/pgdiff}
	flags=()
	if [[ "${NUMSEQ_PGDIFF_SANITIZE:-1}" != 0 ]]; then
		flags=(-DCMAKE_C_FLAGS="-O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
		       -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined")
	fi
	say "building pgdiff_driver in $bdir"
	mkdir -p "$bdir"
	cmake -S . -B "$bdir" -DCMAKE_BUILD_TYPE=Debug -DNUMSEQ_WERROR=ON \
		-DNUMSEQ_BUILD_EXAMPLES=OFF -DNUMSEQ_BUILD_BENCH=OFF "${flags[@]}" >"$bdir/pgdiff-configure.log" 2>&1 ||
		{ cat "$bdir/pgdiff-configure.log" >&2; say "FAILED: configure" >&2; exit 1; }
	cmake --build "$bdir" --target pgdiff_driver --parallel 2 >"$bdir/pgdiff-build.log" 2>&1 ||
		{ cat "$bdir/pgdiff-build.log" >&2; say "FAILED: build" >&2; exit 1; }
	driver=$bdir/tests/pgdiff/pgdiff_driver
fi
[[ -x $driver ]] || { say "FAILED: no driver at $driver" >&2; exit 1; }
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

# ---- a private server -------------------------------------------------------------
if [[ "$(id -u)" -eq 0 ]]; then
	id postgres >/dev/null 2>&1 ||
		useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
	as_pg=(runuser -u postgres --)
	pguser=postgres
else
	as_pg=()
	pguser=$(id -un)
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/numseq-pgdiff.XXXXXX")
if [[ "$(id -u)" -eq 0 ]]; then
	chown postgres: "$tmp"
fi
data=$tmp/data
started=0

cleanup() {
	local rc=$?
	if [[ $started == 1 ]]; then
		"${as_pg[@]}" "$PGBIN/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null 2>&1 ||
			{ say "pg_ctl stop failed; server log:" >&2; tail -n 20 "$tmp/server.log" >&2 || true; }
	fi
	rm -rf "$tmp"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "initdb in $data"
"${as_pg[@]}" "$PGBIN/initdb" -D "$data" -U "$pguser" --auth=trust --no-sync \
	-E UTF8 --locale=C >"$tmp/initdb.log" 2>&1 ||
	{ cat "$tmp/initdb.log" >&2; say "FAILED: initdb" >&2; exit 1; }
say "starting PostgreSQL 15 (socket $tmp, port $PORT, no TCP)"
started=1
"${as_pg[@]}" "$PGBIN/pg_ctl" -D "$data" -l "$tmp/server.log" -w -t 60 \
	-o "-c listen_addresses='' -k $tmp -p $PORT -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
	start >/dev/null ||
	{ cat "$tmp/server.log" >&2; say "FAILED: the server did not start" >&2; exit 1; }

set +e
"$PY" tests/pgdiff/pgdiff.py --driver "$driver" --host "$tmp" --port "$PORT" \
	--user "$pguser" --dbname postgres "$@"
status=$?
set -e
exit $status
