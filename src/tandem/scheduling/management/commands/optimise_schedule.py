"""`tandem optimise_schedule --location "Riverside Main" --weeks 6 [--confirm] [--method cp-sat|greedy]
[--time-limit S] [--as USERNAME]`: batch-optimise every active plan at a location, as the front desk would."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tandem.accounts.models import Location, Role, User


class Command(BaseCommand):
    help = (
        "Place the missing visits of every active plan of care at a location in one optimisation, around "
        "what is booked. Prints one line per plan; with --confirm, books each proposal (all of a plan's "
        "visits or none), otherwise leaves them for review in the browser."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--location", required=True, help='Location name, e.g. "Riverside Main".')
        parser.add_argument("--weeks", type=int, default=6, help="Weeks to plan (default 6).")
        parser.add_argument(
            "--starts-on", type=datetime.date.fromisoformat, default=None, metavar="YYYY-MM-DD"
        )
        parser.add_argument("--method", choices=("cp-sat", "greedy"), default="cp-sat")
        parser.add_argument("--time-limit", type=float, default=None, metavar="S", help="Solver seconds.")
        parser.add_argument("--confirm", action="store_true", help="Book every proposal.")
        parser.add_argument(
            "--as",
            dest="username",
            default=None,
            help="Who acts (default: the clinic's first administrator).",
        )

    def _actor_and_location(self, username: str | None, name: str) -> tuple[User, Location]:
        locations = Location.objects.filter(name=name)
        if username:
            actor = User.objects.filter(username=username, is_active=True).first()
            if actor is None:
                raise CommandError(f"No active user named {username!r}.")
            locations = locations.filter(organization_id=actor.organization_id)
        found = list(locations[:2])
        if not found:
            raise CommandError(
                f"No location named {name!r}" + (f" in {username}'s clinic." if username else ".")
            )
        if len(found) > 1:
            raise CommandError(f"Several clinics have a location named {name!r}: say who acts with --as.")
        location = found[0]
        if not username:
            actor = (
                User.objects.filter(
                    organization_id=location.organization_id,
                    is_active=True,
                    role__in=(Role.CLINIC_ADMIN, Role.FRONT_DESK),
                )
                .order_by("role", "pk")  # clinic-admin before front-desk
                .first()
            )
            if actor is None:
                raise CommandError(
                    "The clinic has no active administrator or front desk: say who acts with --as."
                )
        return actor, location

    def handle(self, *args: Any, **options: Any) -> None:
        from tandem.scheduling import booking  # loads the optimizer

        actor, location = self._actor_and_location(options["username"], options["location"])
        limit = options["time_limit"] if options["time_limit"] is not None else booking.BATCH_TIME_LIMIT
        if limit <= 0:
            raise CommandError("--time-limit must be positive.")
        self.stdout.write(
            f"Optimising the active plans at {location.name} over {options['weeks']} weeks "
            f"({options['method']}, up to {limit:g} s) as {actor.username}…"
        )
        try:
            result = booking.location_optimise(
                actor=actor,
                location=location,
                starts_on=options["starts_on"],
                weeks=options["weeks"],
                method=options["method"],
                time_limit=limit,
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        placed_total = 0
        confirmed = failed = 0
        for proposal in result.bookings:
            placed = proposal.appointments.count()
            placed_total += placed
            state = ""
            if options["confirm"]:
                try:
                    booking.plan_booking_confirm(actor=actor, booking=proposal)
                    confirmed += 1
                    state = " booked"
                except ValidationError as exc:
                    failed += 1
                    state = " NOT booked: " + " ".join(exc.messages)
            rules = f", sequence {proposal.rules_met}/{proposal.rules_total}" if proposal.rules_total else ""
            self.stdout.write(
                f"  {proposal.plan.patient.mrn}  {placed:>3} of {proposal.requested:>3} visits{rules}  "
                f"proposal #{proposal.pk}{state}"
            )
        solution = result.solution
        share = 100 * placed_total / result.requested if result.requested else 100.0
        self.stdout.write(
            f"{len(result.bookings)} plans, {placed_total} of {result.requested} visits placed "
            f"({share:.0f}%) in {solution.wall_seconds:.1f} s ({solution.method}, {solution.status})."
        )
        if options["confirm"]:
            self.stdout.write(f"Booked {confirmed} proposals" + (f"; {failed} refused." if failed else "."))
        else:
            self.stdout.write(
                "Nothing is booked yet: review and confirm each proposal, or run again with --confirm."
            )
