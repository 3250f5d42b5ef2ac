"""signing (pure): canonical JSON and the SHA-256 digest a signature seals. Table-driven."""

from __future__ import annotations

import datetime
import hashlib

import pytest

from tandem.charting.signing import canonical_json, content_digest, digest_matches

NOON_UTC = datetime.datetime(2026, 11, 30, 12, 0, tzinfo=datetime.UTC)
NOON_PORTLAND = NOON_UTC.astimezone(datetime.timezone(datetime.timedelta(hours=-8)))


@pytest.mark.parametrize(
    ("content", "text"),
    [
        ({"b": 1, "a": [2, 1]}, '{"a":[2,1],"b":1}'),
        ({"z": {"y": None, "x": True}}, '{"z":{"x":true,"y":null}}'),
        ({"text": "Trapèze ≤ 3"}, '{"text":"Trapèze ≤ 3"}'),
        ({"at": NOON_UTC}, '{"at":"2026-11-30T12:00:00+00:00"}'),
        ({"at": NOON_PORTLAND}, '{"at":"2026-11-30T12:00:00+00:00"}'),
        ({"on": datetime.date(2026, 11, 30), "t": ("a", 1.5)}, '{"on":"2026-11-30","t":["a",1.5]}'),
    ],
    ids=["sorted-keys", "nested", "unicode-as-is", "utc", "any-zone-to-utc", "date-and-tuple"],
)
def test_canonical_json(content, text):
    assert canonical_json(content) == text
    assert content_digest(content) == hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_the_digest_ignores_key_order_and_sees_every_change():
    signed = {"subjective": "Better", "data": {"nprs_before": 6, "nprs_after": 3}}
    digest = content_digest(signed)
    assert digest_matches({"data": {"nprs_after": 3, "nprs_before": 6}, "subjective": "Better"}, digest)
    assert not digest_matches({**signed, "subjective": "Better."}, digest)
    assert not digest_matches({**signed, "data": {"nprs_before": 6, "nprs_after": 2}}, digest)


@pytest.mark.parametrize(
    "content",
    [{"at": datetime.datetime(2026, 11, 30, 12, 0)}, {"x": float("nan")}],
    ids=["naive-datetime", "nan"],
)
def test_what_cannot_be_signed_unambiguously_is_refused(content):
    with pytest.raises(ValueError):
        canonical_json(content)
