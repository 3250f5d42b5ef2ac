#!/usr/bin/env bash
# `make run`: migrate, load the demo clinic once, print the demo logins, serve on http://127.0.0.1:8000/.
# Assumes .venv exists (make venv).
#
# Env: TANDEM_DATA_DIR (default ./var), TANDEM_RUN_HOST (127.0.0.1), TANDEM_RUN_PORT (8000);
#      any other TANDEM_* setting is passed through (see DEVELOPERS.md).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

TANDEM="$ROOT/.venv/bin/tandem"
HOST="${TANDEM_RUN_HOST:-127.0.0.1}"
PORT="${TANDEM_RUN_PORT:-8000}"

export TANDEM_DATA_DIR="${TANDEM_DATA_DIR:-$ROOT/var}"
# Plain http on loopback: no secure-only cookies, no HSTS, no redirect to https.
export TANDEM_HTTPS=0
mkdir -p "$TANDEM_DATA_DIR"

[[ -x "$TANDEM" ]] || { echo "run: $TANDEM missing; run 'make venv' first" >&2; exit 1; }

echo "==> tandem migrate (data dir: $TANDEM_DATA_DIR)"
"$TANDEM" migrate --noinput

# The demo clinic is loaded once per database. `tandem demo` is idempotent, but skipping it keeps
# start-up fast; the stamp records which database it was loaded into.
stamp="$TANDEM_DATA_DIR/.demo-loaded"
db_key="${TANDEM_DATABASE_URL:-sqlite:$TANDEM_DATA_DIR}"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$db_key" ]]; then
    echo "==> demo clinic already loaded (delete $stamp to reload)"
else
    echo "==> tandem demo (loading the demo clinic)"
    "$TANDEM" demo
    printf '%s' "$db_key" >"$stamp"
fi

cat <<EOF

  Tandem is starting on  http://$HOST:$PORT/

  Demo logins (password for all: tandem-demo)

    user    role
    ------  ------------------------------------
    alice   Dr Alice, chiropractor
    ben     physical therapist
    maya    massage therapist
    dana    front desk
    admin   clinic administrator

EOF

# Background jobs (appointment reminders every 15 minutes; e-mails land in $TANDEM_DATA_DIR/outbox unless
# TANDEM_EMAIL_URL names an SMTP server). The consumer stops with the server.
"$TANDEM" run_huey --quiet >"$TANDEM_DATA_DIR/huey.log" 2>&1 &
HUEY_PID=$!
trap 'kill "$HUEY_PID" 2>/dev/null || true' EXIT

"$TANDEM" serve --host "$HOST" --port "$PORT"
