"""Forms of the referral pages. They present and parse; the services hold the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from tandem.accounts.forms import ServiceForm
from tandem.accounts.models import Discipline, Practitioner, User
from tandem.core.vocabularies import BODY_SITES, techniques_of
from tandem.patients.models import CareTeamMember, Patient
from tandem.referrals.models import ExternalProvider, PressureLimit, Referral, ReferralKind, ReferralPriority
from tandem.referrals.services import CONTACT_FIELDS

# GET ?urgency= from a red-flag screening: FHIR priority codes, and the words a screening may use.
URGENCY_WORDS = {"emergency": "stat", "emergent": "stat", "immediate": "stat", "soon": "asap"}
DISCIPLINE_INBOX_LABELS = {
    Discipline.CHIROPRACTIC: "Any chiropractor (discipline inbox)",
    Discipline.PHYSICAL_THERAPY: "Any physical therapist (discipline inbox)",
    Discipline.MASSAGE_THERAPY: "Any massage therapist (discipline inbox)",
}


NEEDED_FOR_KIND = (
    "recipient",
    "requester_contact",
    "recipient_contact",
    "techniques",
    "body_sites",
    "pressure_limit",
    "session_count",
    "sessions_per_week",
    "findings",
)


def _textarea(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows, "cols": 40})


class ReferralForm(ServiceForm):
    """One form for every kind; the page shows the sections of the chosen kind (CSS :has on the kind)."""

    # (title, kinds it is for (empty: all), fields)
    sections: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
        ("Referral", (), ("kind", "priority", "needed_by_on")),
        ("From", ("external-in",), ("requester_contact",)),
        ("To", ("massage-order", "structural", "external-in"), ("recipient",)),
        ("To (external provider)", ("external-out",), ("recipient_contact",)),
        ("Why", (), ("reason", "conditions")),
        (
            "Massage order",
            ("massage-order",),
            (
                "techniques",
                "body_sites",
                "pressure_limit",
                "session_count",
                "sessions_per_week",
                "precautions",
                "goals",
                "supervising_practitioner",
            ),
        ),
        ("Structural findings", ("structural",), ("findings",)),
        ("Safety", ("massage-order",), ("override_reason",)),
    )

    kind = forms.ChoiceField(choices=[("", "Choose…"), *ReferralKind.choices])
    priority = forms.ChoiceField(choices=ReferralPriority.choices, initial=ReferralPriority.ROUTINE)
    needed_by_on = forms.DateField(
        label="Needed by",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    requester_contact = forms.ChoiceField(label="Referred by", required=False)
    recipient = forms.ChoiceField(label="Refer to", required=False)
    recipient_contact = forms.ChoiceField(label="Refer to", required=False)
    reason = forms.CharField(label="Reason for referral", widget=_textarea(3))
    conditions = forms.MultipleChoiceField(
        label="Related conditions", required=False, widget=forms.CheckboxSelectMultiple
    )
    techniques = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(t.code, t.label) for t in techniques_of("massage-therapy")],
    )
    body_sites = forms.MultipleChoiceField(
        label="Regions",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(c.code, c.label) for c in BODY_SITES],
    )
    pressure_limit = forms.ChoiceField(
        label="Pressure limit", required=False, choices=[("", "Choose…"), *PressureLimit.choices]
    )
    session_count = forms.IntegerField(label="Number of sessions", required=False, min_value=1, max_value=52)
    sessions_per_week = forms.IntegerField(
        label="Sessions per week", required=False, min_value=1, max_value=7
    )
    precautions = forms.CharField(required=False, widget=_textarea(2))
    goals = forms.CharField(required=False, widget=_textarea(2))
    supervising_practitioner = forms.ChoiceField(label="Supervising clinician", required=False)
    findings = forms.CharField(
        label="Findings and suspected problem",
        required=False,
        widget=_textarea(4),
        help_text="What you found (palpation, range of motion, symptoms) and the problem you suspect.",
    )
    override_reason = forms.CharField(
        label="Safety override (supervising clinician)",
        required=False,
        widget=_textarea(2),
        help_text="Only if the safety check blocks this order and you, as supervising clinician, proceed.",
    )

    def __init__(self, *args: Any, patient: Patient, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        colleagues = (
            Practitioner.objects.filter(user__organization_id=patient.organization_id, user__is_active=True)
            .select_related("user")
            .order_by("discipline", "user__last_name", "user__first_name")
        )
        if user.is_clinician:
            colleagues = colleagues.exclude(pk=user.practitioner.pk)
        people = [
            (f"practitioner:{p.pk}", f"{p.display_name} — {p.get_discipline_display()}") for p in colleagues
        ]
        inboxes = [(f"discipline:{code}", label) for code, label in DISCIPLINE_INBOX_LABELS.items()]
        self.fields["recipient"].choices = [
            ("", "Choose…"),
            ("Practitioners", people),
            ("Discipline inbox", inboxes),
        ]
        contacts = ExternalProvider.objects.filter(organization_id=patient.organization_id, active=True)
        contact_choices = [("", "Choose…"), *[(str(c.pk), str(c)) for c in contacts.order_by("name")]]
        self.fields["requester_contact"].choices = contact_choices
        self.fields["recipient_contact"].choices = contact_choices
        # The supervising clinician is the referrer or a DC or PT on the patient's active care team.
        team = set(
            CareTeamMember.objects.active_on(timezone.localdate())
            .filter(patient=patient)
            .values_list("practitioner_id", flat=True)
        )
        supervisors = [
            p for p in colleagues if p.discipline in ("chiropractic", "physical-therapy") and p.pk in team
        ]
        if user.is_clinician and user.practitioner.discipline in ("chiropractic", "physical-therapy"):
            supervisors.insert(0, user.practitioner)
        self.fields["supervising_practitioner"].choices = [
            ("", "Me (the referring clinician)"),
            *[(str(p.pk), p.display_name) for p in supervisors],
        ]
        # Required for their kind only: the service says so; the page does not call them optional.
        for name in NEEDED_FOR_KIND:
            self.fields[name].not_optional = True  # type: ignore[attr-defined]
        self.fields["conditions"].choices = [
            (str(c.pk), f"{c.code} {c.text}") for c in patient.conditions.order_by("code")
        ]

    def section_list(self) -> list[tuple[str, str, list[forms.BoundField]]]:
        """(title, CSS classes, fields) per section, for the template."""
        found = []
        for title, kinds, names in self.sections:
            classes = "kind-section " + " ".join(f"for-{kind}" for kind in kinds) if kinds else ""
            found.append((title, classes, [self[name] for name in names]))
        return found

    def service_data(self) -> tuple[dict[str, Any], str]:
        """The service's `data` and the override reason."""
        data = dict(self.cleaned_data)
        override = data.pop("override_reason", "") or ""
        recipient = data.pop("recipient", "") or ""
        data["recipient_practitioner"], data["recipient_discipline"] = None, ""
        if recipient.startswith("practitioner:"):
            data["recipient_practitioner"] = int(recipient.split(":", 1)[1])
        elif recipient.startswith("discipline:"):
            data["recipient_discipline"] = recipient.split(":", 1)[1]
        for name in ("requester_contact", "recipient_contact", "supervising_practitioner"):
            data[name] = int(data[name]) if data.get(name) else None
        data["conditions"] = [int(pk) for pk in data.get("conditions") or []]
        return data, override


def initial_for(referral: Referral) -> dict[str, Any]:
    """The form's initial values for a draft being edited."""
    if referral.recipient_practitioner_id:
        recipient = f"practitioner:{referral.recipient_practitioner_id}"
    elif referral.recipient_discipline:
        recipient = f"discipline:{referral.recipient_discipline}"
    else:
        recipient = ""
    return {
        "kind": referral.kind,
        "priority": referral.priority,
        "needed_by_on": referral.needed_by_on,
        "requester_contact": str(referral.requester_external_id or ""),
        "recipient": recipient,
        "recipient_contact": str(referral.recipient_external_id or ""),
        "reason": referral.reason,
        "conditions": [str(c.pk) for c in referral.conditions.all()],
        "techniques": referral.techniques,
        "body_sites": referral.body_sites,
        "pressure_limit": referral.pressure_limit,
        "session_count": referral.session_count,
        "sessions_per_week": referral.sessions_per_week,
        "precautions": referral.precautions,
        "goals": referral.goals,
        "supervising_practitioner": str(referral.supervising_practitioner_id or ""),
        "findings": referral.findings,
    }


def initial_from_query(query: Any) -> dict[str, Any]:
    """Prefill from GET parameters: ?urgency=urgent&reason=... (from a red-flag screening) and ?kind=."""
    initial: dict[str, Any] = {}
    urgency = str(query.get("urgency", "")).strip().lower()
    urgency = URGENCY_WORDS.get(urgency, urgency)
    if urgency in ReferralPriority.values:
        initial["priority"] = urgency
    reason = str(query.get("reason", "")).strip()[:2000]
    if reason:
        initial["reason"] = reason
    kind = str(query.get("kind", "")).strip()
    if kind in ReferralKind.values:
        initial["kind"] = kind
    return initial


class TransitionForm(ServiceForm):
    """The fields one workflow action takes: a reason, the report back, or an optional note."""

    def __init__(self, *args: Any, action: str, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"id_{action}_%s")  # several of these forms share one page
        super().__init__(*args, **kwargs)
        self.action = action
        if action in ("decline", "cancel"):
            self.fields["reason"] = forms.CharField(
                label="Reason",
                widget=_textarea(2),
                help_text="The other side sees it.",
                error_messages={"required": f"Say why you {action} the referral."},
            )
        elif action == "complete":
            self.fields["report"] = forms.CharField(
                label="Treatment provided",
                widget=_textarea(4),
                error_messages={"required": "Write the report back to the referrer: the treatment provided."},
            )
            self.fields["outcome"] = forms.CharField(
                label="Findings and outcome", required=False, widget=_textarea(3)
            )
            self.fields["recommendations"] = forms.CharField(required=False, widget=_textarea(3))
        else:
            self.fields["note"] = forms.CharField(label="Note", required=False, widget=_textarea(1))
        if action == "send":
            self.fields["override_reason"] = forms.CharField(
                label="Safety override (supervising clinician)", required=False, widget=_textarea(1)
            )


class ContactForm(ServiceForm):
    fieldsets = (
        ("Provider", ("name", "credentials", "specialty", "npi")),
        ("Practice", ("practice_name", "phone", "fax", "email", "address")),
        ("Status", ("active",)),
    )

    def __init__(self, *args: Any, creating: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        names = [n for n in CONTACT_FIELDS if not (creating and n == "active")]
        self.add_model_fields(ExternalProvider, names)
        for name in ("phone", "fax"):
            self.fields[name].widget.input_type = "tel"
