from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tandem.accounts.models import ApiToken, User
from tandem.accounts.services import token_create, token_revoke


class Command(BaseCommand):
    help = "Manage personal API tokens: create USER, list USER, revoke PREFIX."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a token for USER and print it (shown once).")
        create.add_argument("username")
        create.add_argument("--name", default="command line")
        listing = sub.add_parser("list", help="List USER's tokens.")
        listing.add_argument("username")
        revoke = sub.add_parser("revoke", help="Revoke the token whose prefix is given.")
        revoke.add_argument("prefix")

    def _user(self, username: str) -> User:
        try:
            return User.objects.get(username=username)
        except User.DoesNotExist:
            raise CommandError(f"No user named {username!r}.") from None

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "create":
            user = self._user(options["username"])
            if not user.is_active:
                raise CommandError(f"{user.username} is deactivated.")
            _, secret = token_create(user=user, name=options["name"])
            self.stdout.write(secret)
        elif action == "list":
            for token in self._user(options["username"]).api_tokens.order_by("created_at"):
                state = f"revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "active"
                self.stdout.write(
                    f"{token.prefix}…  {token.name}  created {token.created_at:%Y-%m-%d}  {state}"
                )
        else:
            token = ApiToken.objects.filter(prefix=options["prefix"][:12]).select_related("user").first()
            if token is None:
                raise CommandError("No token with that prefix.")
            token_revoke(token=token, actor=token.user)
            self.stdout.write(f"Revoked {token.prefix}… of {token.user.username}.")
