"""What a signature seals: the canonical JSON of a note's content and its SHA-256 digest. Pure module.

Canonical JSON: keys sorted, no insignificant whitespace, UTF-8 text as is, no NaN or infinity; datetimes as
ISO 8601 in UTC. The same content gives the same digest on SQLite and PostgreSQL, today and in ten years, so
a stored digest can be checked against the row at any time (`digest_matches`).
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any


def _plain(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            raise ValueError("a signed datetime must be timezone-aware")
        return value.astimezone(datetime.UTC).isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def canonical_json(content: Mapping[str, Any]) -> str:
    """The one JSON text of `content` (sorted keys, compact, UTC datetimes)."""
    plain = _plain(content)
    return json.dumps(plain, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def content_digest(content: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of `content`."""
    return hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()


def digest_matches(content: Mapping[str, Any], digest: str) -> bool:
    return hmac.compare_digest(content_digest(content), digest)
