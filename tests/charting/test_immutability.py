"""Invariant 2 below the services: the database itself refuses to change or delete a signed note or a signed
addendum (migration 0002: PostgreSQL and SQLite triggers). The suite runs on both databases."""

from __future__ import annotations

import importlib

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from tandem.charting import services
from tandem.charting.models import Addendum, Note
from tandem.charting.signing import digest_matches

pytestmark = pytest.mark.django_db

TRIGGERS = importlib.import_module("tandem.charting.migrations.0002_signed_never_change")


def refused_by_the_database(change) -> None:
    # A savepoint, so the refused statement does not spoil the test's transaction on PostgreSQL.
    with pytest.raises(IntegrityError), transaction.atomic():
        change()


@pytest.mark.parametrize(
    "change",
    [
        {"subjective": "x"},
        {"data": {"nprs_before": 0}},
        {"body_marks": []},
        {"late_entry": True},
        {"template_version": "2099.1"},
        {"needs_cosign": False, "cosigner": None},
        {"status": "preliminary", "signed_at": None, "signed_by": None, "digest": ""},
    ],
    ids=["text", "fields", "body-map", "late-entry", "template", "co-signer", "unsign"],
)
def test_a_raw_update_of_a_signed_note_is_refused_by_the_database(signed_massage_note, change):
    refused_by_the_database(lambda: Note.objects.filter(pk=signed_massage_note.pk).update(**change))
    note = Note.objects.get(pk=signed_massage_note.pk)
    assert note.status == "final" and digest_matches(note.signed_content(), note.digest)


def test_saving_a_changed_signed_note_through_the_orm_is_refused(signed_massage_note):
    signed_massage_note.assessment = "Rewritten later"
    refused_by_the_database(signed_massage_note.save)
    assert Note.objects.get(pk=signed_massage_note.pk).assessment != "Rewritten later"


def test_a_signed_note_cannot_be_deleted(signed_massage_note):
    refused_by_the_database(lambda: Note.objects.filter(pk=signed_massage_note.pk).delete())
    assert Note.objects.filter(pk=signed_massage_note.pk).exists()


def test_the_co_signature_is_the_one_change_and_only_once(alice, signed_massage_note):
    cosigned = services.note_cosign(actor=alice, note=signed_massage_note)
    note = Note.objects.get(pk=cosigned.pk)
    assert note.cosigned_by == alice and digest_matches(note.signed_content(), note.digest)
    # Once co-signed, not even the co-signature columns move.
    refused_by_the_database(
        lambda: Note.objects.filter(pk=note.pk).update(cosigned_at=None, cosigned_by=None)
    )
    refused_by_the_database(lambda: Note.objects.filter(pk=note.pk).update(cosigned_at=timezone.now()))
    refused_by_the_database(lambda: Note.objects.filter(pk=note.pk).update(subjective="x"))


def test_the_co_signature_columns_cannot_carry_other_changes(alice, signed_massage_note):
    refused_by_the_database(
        lambda: Note.objects.filter(pk=signed_massage_note.pk).update(
            cosigned_at=timezone.now(), cosigned_by=alice, plan="Also changed"
        )
    )
    assert Note.objects.get(pk=signed_massage_note.pk).cosigned_at is None


def test_drafts_stay_free_to_change_and_be_discarded(maya, nora, nora_massage, documented):
    draft = documented(nora, nora_massage)
    assert Note.objects.filter(pk=draft.pk).update(subjective="Typed, then retyped") == 1
    assert Note.objects.get(pk=draft.pk).subjective == "Typed, then retyped"
    Note.objects.filter(pk=draft.pk).delete()
    assert not Note.objects.filter(pk=draft.pk).exists()


def test_a_signed_addendum_never_changes_and_a_draft_one_may(maya, signed_massage_note):
    draft = services.addendum_add(actor=maya, note=signed_massage_note, text="First wording")
    assert Addendum.objects.filter(pk=draft.pk).update(text="Second wording") == 1
    signed = services.addendum_sign(actor=maya, addendum=Addendum.objects.get(pk=draft.pk))
    refused_by_the_database(lambda: Addendum.objects.filter(pk=signed.pk).update(text="Third wording"))
    refused_by_the_database(lambda: Addendum.objects.filter(pk=signed.pk).delete())
    assert Addendum.objects.get(pk=signed.pk).text == "Second wording"
    other = services.addendum_add(actor=maya, note=signed_massage_note, text="Never mind")
    Addendum.objects.filter(pk=other.pk).delete()
    assert list(Addendum.objects.values_list("pk", flat=True)) == [signed.pk]


def test_the_sqlite_trigger_seals_every_column_but_the_co_signature():
    """A column added to Note must be sealed too: this fails until a migration re-creates the trigger."""
    columns = {f.column for f in Note._meta.concrete_fields}
    assert set(TRIGGERS.SEALED_NOTE_COLUMNS) | set(TRIGGERS.COSIGNATURE_COLUMNS) == columns
    assert not set(TRIGGERS.SEALED_NOTE_COLUMNS) & set(TRIGGERS.COSIGNATURE_COLUMNS)
