from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tandem.audit.services import audit_verify


class Command(BaseCommand):
    help = "Audit trail tools. `tandem audit verify` checks the hash chain and names the first broken entry."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="Check that no entry was altered, inserted or deleted.")

    def handle(self, *args: Any, **options: Any) -> None:
        count, problem = audit_verify()
        if problem is not None:
            raise CommandError(
                f"Audit trail is broken at entry {problem.sequence} ({problem.kind}): {problem.message}."
            )
        self.stdout.write(self.style.SUCCESS(f"Audit trail intact: {count} entries verified."))
