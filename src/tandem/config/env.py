"""TANDEM_* configuration from the environment; a bad value is refused with a message naming the variable."""

from __future__ import annotations

import os
import secrets
import zoneinfo
from pathlib import Path
from urllib.parse import urlparse


class ConfigurationError(Exception):
    """A TANDEM_* variable holds a value Tandem cannot start with."""


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigurationError(f"{name}={raw!r} is not a boolean; use 1/0, true/false, yes/no or on/off.")


def env_optional_file(name: str) -> Path | None:
    """A file the clinic supplies instead of a bundled default; unset or empty means the default."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    path = Path(raw).expanduser().resolve()
    if not path.is_file():
        raise ConfigurationError(f"{name}={raw!r} is not a file.")
    if not os.access(path, os.R_OK):
        raise ConfigurationError(f"{name}={raw!r} is not readable.")
    return path


def env_data_dir(name: str = "TANDEM_DATA_DIR") -> Path:
    raw = os.environ.get(name, "var")
    path = Path(raw).expanduser().resolve()
    if path.exists() and not path.is_dir():
        raise ConfigurationError(f"{name}={raw!r} exists and is not a directory.")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigurationError(f"{name}={raw!r} cannot be created: {exc.strerror}.") from exc
    if not os.access(path, os.W_OK):
        raise ConfigurationError(f"{name}={raw!r} is not writable.")
    return path


def env_database_url(data_dir: Path, name: str = "TANDEM_DATABASE_URL") -> str:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return f"sqlite:///{data_dir / 'tandem.sqlite3'}"
    parsed = urlparse(raw)
    if parsed.scheme in {"postgres", "postgresql", "pgsql"}:
        if not parsed.path.strip("/"):
            raise ConfigurationError(
                f"{name} must name a database, e.g. postgres://user@127.0.0.1:5432/tandem."
            )
        return raw
    if parsed.scheme == "sqlite":
        return raw
    raise ConfigurationError(
        f"{name}={raw!r} is not supported; use postgres://user:password@host:port/dbname or sqlite:///path."
    )


def env_secret_key(data_dir: Path, name: str = "TANDEM_SECRET_KEY") -> str:
    raw = os.environ.get(name)
    if raw is not None:
        if len(raw) < 50:
            raise ConfigurationError(f"{name} must be at least 50 characters long.")
        return raw
    key_file = data_dir / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    key = secrets.token_urlsafe(64)
    # Written with mode 0600 once, so every process of this installation shares the key.
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def env_hosts(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    hosts = [host.strip() for host in raw.split(",") if host.strip()]
    if not hosts:
        raise ConfigurationError(f"{name} is empty; give a comma-separated list of host names.")
    for host in hosts:
        if any(ch in host for ch in " /\\"):
            raise ConfigurationError(f"{name} contains {host!r}, which is not a host name.")
    return hosts


def env_public_url(name: str = "TANDEM_PUBLIC_URL", default: str = "http://127.0.0.1:8000") -> str:
    """The address patients and e-mails reach the clinic at (links in reminders), without a trailing slash."""
    raw = os.environ.get(name, default).strip()
    parsed = urlparse(raw)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or parsed.query or parsed.fragment:
        raise ConfigurationError(
            f"{name} must be an http(s) address such as https://clinic.example, not {raw!r}."
        )
    return raw.rstrip("/")


def env_time_zone(name: str = "TANDEM_TIME_ZONE", default: str = "America/New_York") -> str:
    raw = os.environ.get(name, default)
    try:
        zoneinfo.ZoneInfo(raw)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigurationError(
            f"{name}={raw!r} is not an IANA time zone such as America/New_York."
        ) from exc
    return raw


def env_email(data_dir: Path, name: str = "TANDEM_EMAIL_URL") -> dict[str, object]:
    """Django e-mail settings from one URL: unset or `file:` writes each message to DATA_DIR/outbox (nothing
    leaves the machine); `smtp://user:password@host:port` or `smtps://...` (TLS) sends through a server."""
    raw = os.environ.get(name, "").strip()
    if raw in ("", "file:", "file"):
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(data_dir / "outbox"),
        }
    parsed = urlparse(raw)
    if parsed.scheme not in ("smtp", "smtps") or not parsed.hostname:
        raise ConfigurationError(
            f"{name}={raw!r} is not supported; use smtp://user:password@host:port or file:."
        )
    try:
        port = parsed.port or (465 if parsed.scheme == "smtps" else 25)
    except ValueError:
        raise ConfigurationError(f"{name}={raw!r} has an invalid port.") from None
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parsed.hostname,
        "EMAIL_PORT": port,
        "EMAIL_HOST_USER": parsed.username or "",
        "EMAIL_HOST_PASSWORD": parsed.password or "",
        "EMAIL_USE_SSL": parsed.scheme == "smtps",
        "EMAIL_TIMEOUT": 20,
    }
