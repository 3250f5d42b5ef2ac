from __future__ import annotations

import datetime
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.models import Session
from django.urls import reverse

from tandem.accounts.models import ApiToken
from tandem.config import settings as tandem_settings

TANDEM = str(Path(sys.executable).parent / "tandem")


def _tandem(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TANDEM_")}
    return subprocess.run([TANDEM, *args], env={**clean, **env}, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("TANDEM_DEBUG", "maybe"),
        ("TANDEM_TIME_ZONE", "Mars/Olympus_Mons"),
        ("TANDEM_DATABASE_URL", "mysql://root@localhost/tandem"),
        ("TANDEM_SECRET_KEY", "short"),
        ("TANDEM_ALLOWED_HOSTS", " , "),
        ("TANDEM_HTTPS", "perhaps"),
        ("TANDEM_NOTE_TEMPLATES", "/nonexistent/templates.yaml"),
        ("TANDEM_EMAIL_URL", "pigeon://loft"),
        ("TANDEM_EMAIL_URL", "smtp://mail.example:notaport"),
        ("TANDEM_PUBLIC_URL", "clinic.example"),
        ("TANDEM_PUBLIC_URL", "ftp://clinic.example"),
    ],
)
def test_it_refuses_to_start_with_a_bad_setting_and_names_it(tmp_path, variable, value):
    result = _tandem("check", TANDEM_DATA_DIR=str(tmp_path), **{variable: value})
    assert result.returncode == 2
    assert variable in result.stderr
    assert "Traceback" not in result.stderr


def test_it_refuses_a_data_dir_that_is_a_file(tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    result = _tandem("check", TANDEM_DATA_DIR=str(target))
    assert result.returncode == 2
    assert "TANDEM_DATA_DIR" in result.stderr


def test_the_production_settings_pass_the_deployment_check(tmp_path):
    result = _tandem(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        TANDEM_DATA_DIR=str(tmp_path),
        TANDEM_ALLOWED_HOSTS="clinic.example.org",
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout
    # The generated secret key stays private to the installation.
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_it_hashes_passwords_with_argon2(settings):
    settings.PASSWORD_HASHERS = tandem_settings.PASSWORD_HASHERS
    assert make_password("correct horse battery").startswith("argon2$")


def test_it_keeps_only_a_digest_of_api_tokens(alice, token_for, client):
    headers = token_for(alice)
    secret = headers["HTTP_AUTHORIZATION"].removeprefix("Bearer ")
    stored = ApiToken.objects.get(user=alice)
    assert secret not in (stored.digest, stored.prefix) and len(stored.digest) == 64
    assert client.get("/api/v1/me", **headers).json()["username"] == "alice"


def test_a_revoked_token_no_longer_works(alice, token_for, client):
    headers = token_for(alice)
    assert client.get("/api/v1/me", **headers).status_code == 200
    token = ApiToken.objects.get(user=alice)
    assert client.post(f"/api/v1/tokens/{token.pk}/revoke", **headers).status_code == 200
    assert client.get("/api/v1/me", **headers).status_code == 401


def test_a_deactivated_users_token_no_longer_works(alice, token_for, client):
    headers = token_for(alice)
    alice.is_active = False
    alice.save()
    assert client.get("/api/v1/me", **headers).status_code == 401


def test_it_answers_401_without_credentials(client, patient):
    response = client.get(f"/api/v1/patients/{patient.pk}")
    assert response.status_code == 401
    assert response.json()["detail"]


def test_it_locks_a_username_out_after_five_failed_logins(alice, client):
    for _ in range(5):
        client.post(reverse("login"), {"username": "alice", "password": "wrong password"})
    response = client.post(reverse("login"), {"username": "alice", "password": "tandem-demo"})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_session_ends_when_it_expires(alice, client):
    client.post(reverse("login"), {"username": "alice", "password": "tandem-demo"})
    assert client.get(reverse("patient_list")).status_code == 200
    Session.objects.update(expire_date=datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC))
    response = client.get(reverse("patient_list"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_email_goes_to_the_outbox_by_default_or_through_the_smtp_server_named(tmp_path):
    from tandem.config.env import env_email

    assert env_email(tmp_path) == {
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(tmp_path / "outbox"),
    }
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TANDEM_EMAIL_URL", "smtps://clinic:s3cret@mail.example.org")
        smtp = env_email(tmp_path)
    assert smtp["EMAIL_HOST"] == "mail.example.org" and smtp["EMAIL_PORT"] == 465
    assert smtp["EMAIL_USE_SSL"] is True and smtp["EMAIL_HOST_USER"] == "clinic"
