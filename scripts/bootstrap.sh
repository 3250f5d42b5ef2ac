#!/usr/bin/env bash
# Create or update the project's virtual environment (.venv) from uv.lock.
#
# Needs only python3 (3.11) and network access to PyPI:
#   1. .tools/ : a tiny venv holding the pinned uv (pip install uv==$UV_VERSION)
#   2. .venv/  : `uv sync --frozen` (runtime + dev dependency group), built on the
#                system python3 -- uv never downloads an interpreter (UV_PYTHON_DOWNLOADS=never).
#
# Usage: scripts/bootstrap.sh            (called by `make venv`)
# Env:   PYTHON=/path/to/python3.11     to choose the interpreter
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

UV_VERSION="${UV_VERSION:-0.13.9}"
TOOLS="$ROOT/.tools"
UV="$TOOLS/bin/uv"

log() { printf '[bootstrap] %s\n' "$*" >&2; }
die() { printf '[bootstrap] ERROR: %s\n' "$*" >&2; exit 1; }

# --- pick a Python 3.11 -----------------------------------------------------
is_py311() { "$1" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' 2>/dev/null; }

if [[ -n "${PYTHON:-}" ]]; then
    PY="$PYTHON"
    is_py311 "$PY" || die "PYTHON=$PY is not Python 3.11 (pyproject.toml requires >=3.11,<3.12)"
else
    PY=""
    for cand in python3 python3.11; do
        if command -v "$cand" >/dev/null 2>&1 && is_py311 "$cand"; then PY="$cand"; break; fi
    done
    [[ -n "$PY" ]] || die "no Python 3.11 found (tried python3, python3.11); set PYTHON=/path/to/python3.11"
fi
# Resolve shims (pyenv etc.) to the real interpreter so uv and the venv point at it.
PY="$("$PY" -c 'import sys; print(sys.executable)')"

# --- 1. the pinned uv in .tools/ --------------------------------------------
uv_ok() { [[ -x "$UV" ]] && [[ "$("$UV" --version 2>/dev/null)" == "uv $UV_VERSION"* ]]; }

if ! uv_ok; then
    log "installing uv $UV_VERSION into .tools/ (python: $PY)"
    rm -rf "$TOOLS"
    if "$PY" -m venv "$TOOLS" 2>/dev/null && [[ -x "$TOOLS/bin/pip" ]]; then
        "$TOOLS/bin/pip" install --quiet --disable-pip-version-check "uv==$UV_VERSION"
    else
        # Debian's python3 without python3-venv has no ensurepip: fall back to pip --target.
        log "python3 -m venv unavailable; falling back to pip install --target"
        rm -rf "$TOOLS"
        "$PY" -m pip install --quiet --disable-pip-version-check --target "$TOOLS/lib" "uv==$UV_VERSION" \
            || die "could not install uv (need python3-venv or pip)"
        mkdir -p "$TOOLS/bin"
        ln -sf "$TOOLS/lib/bin/uv" "$UV"
    fi
    uv_ok || die "uv $UV_VERSION did not install correctly"
fi

# --- 2. .venv from the lock file --------------------------------------------
export UV_PYTHON="$PY"
export UV_PYTHON_DOWNLOADS=never
export UV_PROJECT_ENVIRONMENT="$ROOT/.venv"
export UV_LINK_MODE="${UV_LINK_MODE:-copy}"
unset VIRTUAL_ENV

log "uv sync --frozen (python: $PY)"
"$UV" sync --frozen

[[ -x "$ROOT/.venv/bin/tandem" ]] || die ".venv/bin/tandem missing after uv sync"
log "ok: .venv ready"
