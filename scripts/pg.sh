#!/usr/bin/env bash
# A throw-away PostgreSQL 15 server for tests.
#
#   DIR=$(scripts/pg.sh start)   start a server in a new temp dir; prints DIR on stdout (logs go to stderr)
#   scripts/pg.sh url DIR        print postgres://tandem:PASSWORD@127.0.0.1:PORT/tandem
#   scripts/pg.sh status DIR     exit 0 if the server answers
#   scripts/pg.sh stop DIR       stop the server (fast, then immediate, then SIGKILL) and remove DIR
#
# DIR may also be given as $TANDEM_PG_DIR; TANDEM_PG_PORT asks for a port (another free one is taken if
# it is busy). The server listens on 127.0.0.1 only, on a free port, with its
# unix socket inside DIR, and fsync/synchronous_commit/full_page_writes off (the data is disposable).
# The role `tandem` (password auth over TCP, CREATEDB so pytest-django can create test_tandem) owns the
# database `tandem`. As root, the server runs as the OS user `postgres` (created if missing), because
# initdb and postgres refuse to run as root.
set -euo pipefail

PG_BINDIR="${PG_BINDIR:-/usr/lib/postgresql/15/bin}"
MARKER=".tandem-pg"

log() { printf '[pg] %s\n' "$*" >&2; }
die() { printf '[pg] ERROR: %s\n' "$*" >&2; exit 1; }

IS_ROOT=0
[[ "$(id -u)" == 0 ]] && IS_ROOT=1

# as_pg DIR OUT CMD...: run CMD as the server's OS user, from inside DIR (postgres may not be able to read
# $PWD), with stdout and stderr going to OUT. The redirection is made inside the subshell, so a signal
# arriving meanwhile never leaves this shell's own stderr pointing at OUT.
as_pg() {
    local dir="$1" out="$2"
    shift 2
    (
        cd "$dir"
        exec >"$out" 2>&1
        if ((IS_ROOT)); then
            if command -v runuser >/dev/null 2>&1; then
                exec runuser -u postgres -- "$@"
            else
                exec su -s /bin/sh postgres -c "$(printf '%q ' "$@")"
            fi
        else
            exec "$@"
        fi
    )
}

free_port() {
    python3 - <<'EOF'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
EOF
}

resolve_dir() {
    local dir="${1:-${TANDEM_PG_DIR:-}}"
    [[ -n "$dir" ]] || die "no server directory given (argument or \$TANDEM_PG_DIR)"
    [[ -d "$dir" && -f "$dir/$MARKER" ]] || die "$dir is not a directory made by scripts/pg.sh start"
    printf '%s\n' "$dir"
}

# A zombie (stopped, not yet reaped by init) counts as stopped.
alive() {
    local stat
    kill -0 "$1" 2>/dev/null || return 1
    stat="$(sed -n 's/^State:[[:space:]]*//p' "/proc/$1/status" 2>/dev/null || true)"
    [[ -n "$stat" && "$stat" != Z* && "$stat" != X* ]]
}

postmaster_pid() {
    local dir="$1"
    if [[ -f "$dir/data/postmaster.pid" ]]; then head -n1 "$dir/data/postmaster.pid"; fi
}

cmd_stop() {
    local dir pid i
    dir="$(resolve_dir "${1:-}")"
    pid="$(postmaster_pid "$dir")"
    if [[ -n "$pid" ]] && alive "$pid"; then
        as_pg "$dir" /dev/null "$PG_BINDIR/pg_ctl" -D "$dir/data" -m fast -w -t 20 stop \
            || as_pg "$dir" /dev/null "$PG_BINDIR/pg_ctl" -D "$dir/data" -m immediate -w -t 10 stop \
            || true
        if alive "$pid"; then
            log "postmaster $pid did not stop; sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
        fi
        for ((i = 0; i < 50; i++)); do
            alive "$pid" || break
            sleep 0.1
        done
        alive "$pid" && log "WARNING: postmaster $pid is still running"
    fi
    rm -rf -- "$dir"
    log "stopped; removed $dir"
}

cmd_start() {
    [[ -x "$PG_BINDIR/initdb" ]] || die "$PG_BINDIR/initdb not found (apt-get install postgresql-15, or scripts/system-deps.sh)"

    if ((IS_ROOT)) && ! id postgres >/dev/null 2>&1; then
        log "creating OS user postgres"
        useradd --system --user-group --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin postgres
    fi

    local dir
    if ((IS_ROOT)); then
        dir="$(mktemp -d -p /tmp tandem-pg.XXXXXXXX)" # somewhere the postgres user can reach
    else
        dir="$(mktemp -d -t tandem-pg.XXXXXXXX)"
    fi
    : >"$dir/$MARKER"
    # From here on, any failure removes the directory (and a half-started server).
    trap 'rc=$?; if ((rc != 0)); then [[ -f "$dir/log" ]] && tail -n 30 "$dir/log" >&2; cmd_stop "$dir" || rm -rf -- "$dir"; fi' EXIT

    mkdir -p "$dir/sock"
    ((IS_ROOT)) && chown -R postgres: "$dir"
    chmod 700 "$dir"

    log "initdb in $dir/data"
    as_pg "$dir" "$dir/initdb.log" "$PG_BINDIR/initdb" -D "$dir/data" -U postgres -E UTF8 --no-locale \
        --auth-local=trust --auth-host=scram-sha-256 \
        || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
    echo "include = 'tandem.conf'" >>"$dir/data/postgresql.conf"

    local port="" attempt started=0
    for attempt in 1 2 3; do
        if ((attempt == 1)) && [[ -n "${TANDEM_PG_PORT:-}" ]]; then port="$TANDEM_PG_PORT"; else port="$(free_port)"; fi
        cat >"$dir/data/tandem.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir/sock'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 60
EOF
        ((IS_ROOT)) && chown postgres: "$dir/data/tandem.conf"
        log "starting on 127.0.0.1:$port (attempt $attempt)"
        if as_pg "$dir" /dev/null "$PG_BINDIR/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 start; then
            started=1
            break
        fi
        # Lost the race for the port? Try another one; anything else is fatal.
        grep -qi 'could not bind\|address already in use' "$dir/log" 2>/dev/null || break
    done
    ((started)) || die "server did not start (log: $dir/log)"

    local i ready=0
    for ((i = 0; i < 60; i++)); do # bounded: at most ~30 s
        if "$PG_BINDIR/pg_isready" -q -h 127.0.0.1 -p "$port" -t 2; then
            ready=1
            break
        fi
        sleep 0.5
    done
    ((ready)) || die "server on port $port not ready after 30 s"

    local password
    password="$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
    as_pg "$dir" "$dir/psql.log" "$PG_BINDIR/psql" -h "$dir/sock" -p "$port" -U postgres -d postgres -q -X -v ON_ERROR_STOP=1 \
        -c "CREATE ROLE tandem LOGIN CREATEDB PASSWORD '$password'" \
        -c "CREATE DATABASE tandem OWNER tandem" \
        || { cat "$dir/psql.log" >&2; die "could not create role/database"; }

    (umask 077 && printf 'postgres://tandem:%s@127.0.0.1:%s/tandem\n' "$password" "$port" >"$dir/url")
    log "ready: 127.0.0.1:$port database tandem (dir $dir)"
    trap - EXIT
    printf '%s\n' "$dir"
}

cmd_url() {
    local dir
    dir="$(resolve_dir "${1:-}")"
    cat "$dir/url"
}

cmd_status() {
    local dir port
    dir="$(resolve_dir "${1:-}")"
    port="$(sed -n 's/^port = //p' "$dir/data/tandem.conf")"
    "$PG_BINDIR/pg_isready" -h 127.0.0.1 -p "$port"
}

trap 'exit 130' INT
trap 'exit 143' TERM

case "${1:-}" in
start) cmd_start ;;
stop) cmd_stop "${2:-}" ;;
url) cmd_url "${2:-}" ;;
status) cmd_status "${2:-}" ;;
*)
    echo "usage: $0 start | stop DIR | url DIR | status DIR" >&2
    exit 2
    ;;
esac
