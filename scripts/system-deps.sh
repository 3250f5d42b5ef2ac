#!/usr/bin/env bash
# Install the Debian packages the test suite needs, only when they are missing:
#   - chromium + fonts-dejavu-core   (/usr/bin/chromium, driven by Playwright in `browser` tests)
#   - postgresql-15                  (/usr/lib/postgresql/15/bin/initdb, for the PostgreSQL test run)
#   - libpango-1.0-0 libpangoft2-1.0-0 (WeasyPrint renders referral letters and reports to PDF)
#
# Usage: scripts/system-deps.sh
# Runs apt-get as root, or through `sudo -n` when not root.
set -euo pipefail

PG_BINDIR="${PG_BINDIR:-/usr/lib/postgresql/15/bin}"

log() { printf '[system-deps] %s\n' "$*" >&2; }
die() { printf '[system-deps] ERROR: %s\n' "$*" >&2; exit 1; }

pkgs=()
[[ -x /usr/bin/chromium ]] || pkgs+=(chromium fonts-dejavu-core)
pg_missing=0
ldconfig -p 2>/dev/null | grep -q "libpangoft2-1.0.so.0" || pkgs+=(libpango-1.0-0 libpangoft2-1.0-0)
if [[ ! -x "$PG_BINDIR/initdb" ]]; then pkgs+=(postgresql-15); pg_missing=1; fi

if ((${#pkgs[@]} == 0)); then
    log "ok: chromium, PostgreSQL 15 and Pango already installed"
    exit 0
fi

if [[ "$(id -u)" == 0 ]]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
else
    die "missing packages (${pkgs[*]}) and not root, and passwordless sudo is unavailable; install them by hand: apt-get install ${pkgs[*]}"
fi
command -v apt-get >/dev/null 2>&1 || die "apt-get not found; install by hand: ${pkgs[*]}"

log "installing: ${pkgs[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" \
    -o Dpkg::Use-Pty=0

# Debian's postgresql package creates and may start a "main" cluster on port 5432. The tests never use
# it (scripts/pg.sh runs a throw-away server), so stop it again to leave no server running.
if ((pg_missing)) && command -v pg_ctlcluster >/dev/null 2>&1; then
    "${SUDO[@]}" pg_ctlcluster 15 main stop >/dev/null 2>&1 || true
fi

[[ -x /usr/bin/chromium ]] || die "/usr/bin/chromium still missing after install"
[[ -x "$PG_BINDIR/initdb" ]] || die "$PG_BINDIR/initdb still missing after install"
log "ok: installed ${pkgs[*]}"
