"""Tandem's benchmarks: `python -m bench` runs every part; `python -m bench PART [options]` runs one.

Results go to $TANDEM_BENCH_RESULTS (default bench/results). The scheduling part needs neither Django nor a
database; the outcomes part sets Django up itself, on SQLite and on a throw-away PostgreSQL server.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

# part name -> module with main(argv) -> exit code
PARTS: dict[str, str] = {
    "scheduling": "bench.scheduling",
    "outcomes": "bench.outcomes",
}


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in ("-h", "--help"):
        print(__doc__)
        print("parts: " + ", ".join(PARTS))
        return 0
    if args and not args[0].startswith("-"):
        part, rest = args[0], args[1:]
        if part not in PARTS:
            print(f"unknown benchmark {part!r}; choose from {', '.join(PARTS)}", file=sys.stderr)
            return 2
        return int(importlib.import_module(PARTS[part]).main(rest))
    if args:
        print("options go after a part name: python -m bench PART [options]", file=sys.stderr)
        return 2
    status = 0
    for module in PARTS.values():
        status = max(status, int(importlib.import_module(module).main(())))
    return status


if __name__ == "__main__":
    sys.exit(main())
