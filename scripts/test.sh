#!/usr/bin/env bash
# The whole check, as `make test` and CI (.ci/run) run it:
#   1. .venv from uv.lock (make venv)
#   2. Debian packages: chromium, postgresql-15 (only when missing)
#   3. ruff check . / ruff format --check .
#   4. pytest on SQLite      (TANDEM_DATABASE_URL unset, TANDEM_DATA_DIR a temp dir)
#   5. pytest on PostgreSQL  (a throw-away PostgreSQL 15 from scripts/pg.sh), without the browser tests:
#                            their `tandem serve` always runs on SQLite in its own data dir, so a second run
#                            would repeat the SQLite run's browser tests exactly
#   6. summary; exit non-zero if ruff or either pytest run failed (pytest's "no tests collected" included)
#
# Env:
#   TEST_DBS="sqlite postgres"  which pytest runs to do (default both)
#   PYTEST_ARGS="-k foo -x"     extra pytest arguments for every run
#   PYTEST_TIMEOUT=2400         seconds before a pytest run is killed
#   SKIP_SYSTEM_DEPS=1          don't try to apt-get install chromium / postgresql-15
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

VENV="$ROOT/.venv"
ARTIFACTS="$ROOT/test-artifacts"
TEST_DBS="${TEST_DBS:-sqlite postgres}"
PYTEST_TIMEOUT="${PYTEST_TIMEOUT:-2400}"
read -r -a EXTRA_ARGS <<<"${PYTEST_ARGS:-}"
PG_ONLY_ARGS=() # set before the PostgreSQL run

step() { printf '\n==> %s\n' "$*"; }

# --- cleanup: always stop PostgreSQL and remove temp dirs ---------------------
PG_DIR=""
TMP_DIRS=()
# shellcheck disable=SC2317  # invoked through the EXIT trap
cleanup() {
    local rc=$?
    if [[ -n "$PG_DIR" ]]; then
        "$ROOT/scripts/pg.sh" stop "$PG_DIR" || true
        PG_DIR=""
    fi
    local d
    for d in "${TMP_DIRS[@]}"; do rm -rf -- "$d"; done
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

declare -a SUMMARY=()
FAILED=0
TOTAL_PASSED=0
TOTAL_FAILED=0
TOTAL_SKIPPED=0
record() { # record NAME ok|FAIL DETAIL
    SUMMARY+=("$(printf '  %-22s %-5s %s' "$1" "$2" "$3")")
    [[ "$2" == ok ]] || FAILED=1
}

# --- 1. venv -----------------------------------------------------------------
step "virtual environment (.venv from uv.lock)"
make --no-print-directory -s venv

# --- 2. system packages ------------------------------------------------------
if [[ "${SKIP_SYSTEM_DEPS:-0}" != 1 ]]; then
    step "system packages (chromium, postgresql-15)"
    "$ROOT/scripts/system-deps.sh"
fi

mkdir -p "$ARTIFACTS"

# --- 3. ruff -----------------------------------------------------------------
step "ruff check ."
if "$VENV/bin/ruff" check .; then record "ruff check" ok ""; else record "ruff check" FAIL "lint errors (make fmt fixes some)"; fi

step "ruff format --check ."
if "$VENV/bin/ruff" format --check .; then
    record "ruff format" ok ""
else
    record "ruff format" FAIL "unformatted files (run: make fmt)"
fi

# --- pytest helper -------------------------------------------------------------
# junit_counts FILE -> "tests failures errors skipped"
junit_counts() {
    "$VENV/bin/python" - "$1" <<'EOF'
import sys
import xml.etree.ElementTree as ET

try:
    root = ET.parse(sys.argv[1]).getroot()
except (OSError, ET.ParseError):
    print("0 0 0 0")
    raise SystemExit
suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
t = [sum(int(s.get(k, 0)) for s in suites) for k in ("tests", "failures", "errors", "skipped")]
print(*t)
EOF
}

run_pytest() { # run_pytest NAME [VAR=VALUE...]  -- pytest with TANDEM_DATABASE_URL unset, then VARs set
    local name="$1" junit="$ARTIFACTS/pytest-$1.xml" rc=0
    shift
    local data_dir
    data_dir="$(mktemp -d -t "tandem-test-$name.XXXXXXXX")"
    TMP_DIRS+=("$data_dir")
    rm -f "$junit"
    step "pytest [$name]"
    env -u TANDEM_DATABASE_URL TANDEM_DATA_DIR="$data_dir" "$@" \
        timeout --foreground --kill-after=30 "$PYTEST_TIMEOUT" \
        "$VENV/bin/pytest" --junitxml="$junit" -o junit_family=xunit2 "${PG_ONLY_ARGS[@]}" "${EXTRA_ARGS[@]}" ||
        rc=$?

    local tests=0 failures=0 errors=0 skipped=0 passed
    read -r tests failures errors skipped < <(junit_counts "$junit") || true
    passed=$((tests - failures - errors - skipped))
    TOTAL_PASSED=$((TOTAL_PASSED + passed))
    TOTAL_FAILED=$((TOTAL_FAILED + failures + errors))
    TOTAL_SKIPPED=$((TOTAL_SKIPPED + skipped))
    local counts="$passed passed, $((failures + errors)) failed, $skipped skipped"
    case "$rc" in
    0) if ((tests == 0)); then record "pytest [$name]" FAIL "no tests ran"; else record "pytest [$name]" ok "$counts"; fi ;;
    5) record "pytest [$name]" FAIL "no tests collected (exit 5)" ;;
    124 | 137) record "pytest [$name]" FAIL "timed out after ${PYTEST_TIMEOUT}s ($counts)" ;;
    *) record "pytest [$name]" FAIL "exit $rc ($counts)" ;;
    esac
}

# --- 4. pytest on SQLite ---------------------------------------------------------
if [[ " $TEST_DBS " == *" sqlite "* ]]; then
    run_pytest sqlite
fi

# --- 5. pytest on PostgreSQL -----------------------------------------------------
if [[ " $TEST_DBS " == *" postgres "* ]]; then
    step "start throw-away PostgreSQL 15"
    if PG_DIR="$("$ROOT/scripts/pg.sh" start)"; then
        PG_ONLY_ARGS=(-m "not browser")
        run_pytest postgres "TANDEM_DATABASE_URL=$("$ROOT/scripts/pg.sh" url "$PG_DIR")"
        step "stop PostgreSQL"
        "$ROOT/scripts/pg.sh" stop "$PG_DIR" || true
        PG_DIR=""
    else
        PG_DIR=""
        record "pytest [postgres]" FAIL "PostgreSQL did not start"
    fi
fi

# --- 6. summary ------------------------------------------------------------------
printf '\n==> summary\n'
printf '%s\n' "${SUMMARY[@]}"
if ((FAILED)); then
    printf '  RESULT: FAILED\n'
else
    printf '  RESULT: ok\n'
fi
printf 'tests: %d passed, %d failed, %d skipped\n' "$TOTAL_PASSED" "$TOTAL_FAILED" "$TOTAL_SKIPPED"
exit "$FAILED"
