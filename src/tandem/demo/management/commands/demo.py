from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from tandem.core.personas import DEMO_PASSWORD
from tandem.demo.care import DemoScenarioError
from tandem.demo.key_patients import KEY_PATIENTS
from tandem.demo.outcomes import MEASURED
from tandem.demo.services import DemoResult, DemoSeedMismatch, demo_clinic_load
from tandem.demo.specs import MAX_PATIENTS, mrn
from tandem.outcomes.synthetic import EffectError, parse_effect
from tandem.patients.icd10 import UnknownCode


class Command(BaseCommand):
    help = (
        "Load the demo clinic (Riverside Spine & Wellness): the personas alice, ben, maya, dana and admin; "
        "colleagues dc2, pt2, lmt2 and one more of each per 150 patients (up to dc16, pt16, lmt16); and N "
        "patients with MRNs D0000001..., the first five being the fixed key patients (Robert Hale ...). "
        "Then, through the real services, external contacts and the referrals, plans of care and intake "
        "screenings of the key patients and of patients 6-65 (every referral status; plans draft, active "
        "and completed). Everything is generated deterministically from the seed, patient by patient, so "
        "running again changes nothing and a larger N adds only what is missing. Password for all: "
        "tandem-demo."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--patients",
            type=int,
            default=200,
            metavar="N",
            help="How many patients the clinic should have, the 5 key patients included (default 200).",
        )
        parser.add_argument("--seed", type=int, default=42, metavar="S", help="Random seed (default 42).")
        parser.add_argument(
            "--without-history",
            action="store_true",
            help="Book the plans from today only: no past visits checked in, documented, signed and charged "
            "(faster; for tests that do not need them). No outcome measures either.",
        )
        parser.add_argument(
            "--effect",
            action="append",
            default=[],
            metavar="INSTRUMENT:POINTS",
            help="Inject an extra effect of concurrent care into the demo's outcome measures, e.g. odi:-8: "
            "patients treated by all three disciplines change 8 ODI points more than with one discipline "
            "(two disciplines: half of it). Also imports an archive of earlier episodes for that instrument, "
            "enough for the clinic's evidence to show it. INSTRUMENT: odi, ndi, quickdash, lefs or nprs. "
            "Repeatable; odi:0 gives the archive without an effect.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        patients: int = options["patients"]
        if not 0 <= patients <= MAX_PATIENTS:
            raise CommandError(f"--patients must be between 0 and {MAX_PATIENTS:,}.")
        effects: dict[str, float] = {}
        for spec in options["effect"]:
            try:
                code, effect = parse_effect(spec)
            except EffectError as exc:
                raise CommandError(f"--effect: {exc.message}") from exc
            if code not in MEASURED:
                raise CommandError(
                    f"--effect: the demo records only {', '.join(MEASURED)}; {code} is not among them."
                )
            effects[code] = sum(effect.values())
        if effects and options["without_history"]:
            raise CommandError("--effect needs the history: leave out --without-history.")
        bars: list[tqdm] = []

        def start(total: int, what: str) -> Callable[[int], object]:
            for bar in bars:
                bar.close()  # one stage at a time
            bar = tqdm(
                total=total,
                desc=what,
                unit=f" {what.split()[-1]}",
                file=sys.stderr,
                disable=options["verbosity"] == 0,
                dynamic_ncols=True,
            )
            bars.append(bar)
            return bar.update

        try:
            result = demo_clinic_load(
                patients=patients,
                seed=options["seed"],
                history=not options["without_history"],
                progress=start,
                effects=effects,
            )
        except (UnknownCode, DemoSeedMismatch, DemoScenarioError) as exc:
            raise CommandError(str(exc)) from exc
        finally:
            for bar in bars:
                bar.close()
        self._summary(result)

    def _summary(self, result: DemoResult) -> None:
        write = self.stdout.write
        if result.changed:
            created = ", ".join(_count(count, name) for name, count in result.created.items() if count)
            write(self.style.SUCCESS(f"Demo clinic loaded in {result.seconds:.1f} s: created {created}."))
            if result.created_mrns:
                write(f"New patients: MRN {result.created_mrns[0]} to {result.created_mrns[1]}.")
            if any(result.history.values()):
                lived = ", ".join(f"{count:,} {name}" for name, count in result.history.items() if count)
                write(f"The past weeks, lived through: {lived}.")
            for message, count in result.refused.most_common(5):
                write(f"  refused ({count}x), as it would be at the desk: {message}")
        else:
            write(
                self.style.SUCCESS(
                    f"Nothing to do: the demo clinic already has patients {mrn(1)} to "
                    f"{mrn(result.patients)} (seed {result.seed}); nothing was changed."
                )
            )
        write(f"\n{result.organization.name} now holds:")
        for name, count in result.totals.items():
            write(f"  {count:>9,}  {name}")
        write(f"\nDemo logins (password for all: {DEMO_PASSWORD})\n")
        width = max(len(username) for username, _ in result.logins)
        write(f"  {'user':<{width}}  who")
        write(f"  {'-' * width}  {'-' * 40}")
        for username, who in result.logins:
            write(f"  {username:<{width}}  {who}")
        write("\nKey patients (the same whatever the seed):")
        for index, key in enumerate(KEY_PATIENTS, start=1):
            write(f"  {mrn(index)}  {key.given_name} {key.family_name}: {key.why}")


# How each counted thing reads: (one, many).
_NOUNS = {
    "organizations": ("organization", "organizations"),
    "locations": ("location", "locations"),
    "rooms": ("room", "rooms"),
    "users": ("user", "users"),
    "patients": ("patient", "patients"),
    "conditions": ("condition", "conditions"),
    "medications": ("medication", "medications"),
    "allergies": ("allergy", "allergies"),
    "care_team_members": ("care-team membership", "care-team memberships"),
    "external_contacts": ("external contact", "external contacts"),
    "referrals": ("referral", "referrals"),
    "referral_letters": ("referral letter", "referral letters"),
    "care_plans": ("plan of care", "plans of care"),
    "goals": ("goal", "goals"),
    "plan_activities": ("plan activity", "plan activities"),
    "sequence_rules": ("sequence rule", "sequence rules"),
    "screenings": ("intake screening", "intake screenings"),
    "archived_plans": ("archived plan of care", "archived plans of care"),
}


def _count(count: int, name: str) -> str:
    one, many = _NOUNS.get(name, (name, name))
    return f"{count:,} {one if count == 1 else many}"
