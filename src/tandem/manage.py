"""The `tandem` console script: Tandem's manage.py."""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tandem.config.settings")
    from tandem.config.env import ConfigurationError

    try:
        import django
        from django.core.management import execute_from_command_line

        django.setup()
    except ConfigurationError as exc:
        sys.stderr.write(f"tandem: configuration error: {exc}\n")
        raise SystemExit(2) from exc
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
