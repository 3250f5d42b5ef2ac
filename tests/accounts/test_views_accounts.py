"""The web UI of accounts: signing in and out, the page frame, API tokens, staff and clinic settings."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from tandem.accounts.models import ApiToken, Practitioner, Role, User
from tandem.core.personas import PersonaSpec, clinic, persona_user

PAGES_FOR_EVERYBODY = ["patient_list", "token_list"]
ADMIN_PAGES = ["staff_list", "staff_create", "organization_detail", "audit_list"]


def test_it_sends_anonymous_visitors_to_the_login_page(client, patient):
    for url in [
        "/",
        reverse("patient_list"),
        reverse("patient_chart", args=[patient.pk]),
        reverse("token_list"),
    ]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_it_signs_in_and_lands_on_the_patient_list(alice, client):
    page = client.get(reverse("login"))
    assert page.status_code == 200
    assert b'name="username"' in page.content and b'name="password"' in page.content
    response = client.post(reverse("login"), {"username": "alice", "password": "tandem-demo"})
    assert response.status_code == 302
    assert response["Location"] == reverse("patient_list")
    assert client.get("/").headers["Location"] == reverse("patient_list")


def test_it_keeps_a_wrong_password_out_with_a_message(alice, client):
    response = client.post(reverse("login"), {"username": "alice", "password": "not the password"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert b"form-errors" in response.content


def test_it_shows_the_locked_out_page_after_five_failures(alice, client):
    for _ in range(5):
        client.post(reverse("login"), {"username": "alice", "password": "wrong password"})
    response = client.post(reverse("login"), {"username": "alice", "password": "tandem-demo"})
    assert response.status_code == 429
    assert "Sign-in paused" in response.content.decode()


def test_it_signs_out_by_post_only(alice, client_for):
    client = client_for(alice)
    assert client.get(reverse("logout")).status_code == 405
    assert client.get(reverse("patient_list")).status_code == 200
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("patient_list")).status_code == 302


@pytest.mark.parametrize(
    ("persona", "name", "role"),
    [
        ("alice", "Dr Alice Moreau, DC", "Chiropractic"),
        ("maya", "Maya Lindqvist, LMT", "Massage therapy"),
        ("dana", "Dana Whitfield", "Front desk"),
        ("admin", "Sam Reyes", "Clinic administrator"),
    ],
)
def test_it_shows_who_is_signed_in_and_their_role(personas, client_for, persona, name, role):
    page = client_for(personas[persona]).get(reverse("patient_list")).content.decode()
    assert name in page
    assert role in page


def test_it_shows_administration_in_the_menu_for_clinic_admins_only(alice, dana, admin, client_for):
    for user in (alice, dana):
        page = client_for(user).get(reverse("patient_list")).content.decode()
        assert reverse("audit_list") not in page and reverse("staff_list") not in page
    page = client_for(admin).get(reverse("patient_list")).content.decode()
    assert reverse("audit_list") in page and reverse("staff_list") in page


@pytest.mark.parametrize("url_name", PAGES_FOR_EVERYBODY + ADMIN_PAGES)
def test_its_pages_carry_no_inline_script_or_style(admin, patient, client_for, url_name):
    response = client_for(admin).get(reverse(url_name))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Content-Security-Policy" in response.headers
    assert not re.search(r"<script(?![^>]*\ssrc=)", html), "inline <script> would be blocked by CSP"
    assert " style=" not in html and "<style" not in html
    assert not re.search(r"\son[a-z]+=", html), "inline event handlers would be blocked by CSP"
    assert 'name="viewport"' in html and "vendor/htmx.min.js" in html
    assert "X-CSRFToken" in html  # htmx sends the CSRF token from <body hx-headers>


@pytest.mark.parametrize("url_name", ADMIN_PAGES)
@pytest.mark.parametrize("persona", ["alice", "ben", "maya", "dana", "outsider"])
def test_its_administration_pages_do_not_exist_for_others(personas, client_for, url_name, persona):
    assert client_for(personas[persona]).get(reverse(url_name)).status_code == 404


# API tokens ---------------------------------------------------------------------------------------


def test_it_shows_a_new_token_once_and_keeps_only_its_digest(maya, client_for):
    client = client_for(maya)
    response = client.post(reverse("token_create"), {"name": "Outcome export"})
    assert response.status_code == 200
    secret = re.search(r"tdm_[A-Za-z0-9_\-]+", response.content.decode()).group(0)
    token = ApiToken.objects.get(user=maya)
    assert token.name == "Outcome export" and token.digest == ApiToken.digest_of(secret)
    assert secret not in client.get(reverse("token_list")).content.decode()
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {secret}").json()["username"] == "maya"


def test_it_asks_for_a_token_name_beside_the_field(maya, client_for):
    response = client_for(maya).post(reverse("token_create"), {"name": "  "})
    assert response.status_code == 200
    assert "id_name-errors" in response.content.decode()
    assert not ApiToken.objects.filter(user=maya).exists()


def test_it_revokes_only_the_users_own_token(alice, ben, client_for, token_for):
    token_for(alice)
    token = ApiToken.objects.get(user=alice)
    assert client_for(ben).post(reverse("token_revoke", args=[token.pk])).status_code == 404
    token.refresh_from_db()
    assert token.is_active
    response = client_for(alice).post(reverse("token_revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert not token.is_active


# Staff and settings -------------------------------------------------------------------------------


def test_it_lists_the_clinic_staff_for_the_admin_only_from_their_clinic(admin, outsider, client_for):
    page = client_for(admin).get(reverse("staff_list")).content.decode()
    assert "Dr Alice Moreau, DC" in page and "Dana Whitfield" in page
    assert "Olga" not in page


def test_it_creates_a_clinician_with_a_professional_record(admin, client_for):
    response = client_for(admin).post(
        reverse("staff_create"),
        {
            "first_name": "Priya",
            "last_name": "Natarajan",
            "email": "priya@example.org",
            "username": "priya",
            "role": Role.CLINICIAN,
            "password": "a long enough passphrase",
            "discipline": "physical-therapy",
            "credentials": "DPT",
            "license_number": "PT-777001",
            "license_state": "OR",
            "npi": "",
        },
    )
    assert response.status_code == 302
    priya = User.objects.get(username="priya")
    assert priya.organization_id == admin.organization_id
    assert priya.practitioner.discipline == "physical-therapy"


def test_it_refuses_a_clinician_without_a_license_and_stores_nothing(admin, client_for):
    response = client_for(admin).post(
        reverse("staff_create"),
        {
            "first_name": "Priya",
            "last_name": "Natarajan",
            "email": "priya@example.org",
            "username": "priya",
            "role": Role.CLINICIAN,
            "password": "short",
            "discipline": "",
            "license_number": "",
            "license_state": "",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "id_password-errors" in html
    assert 'value="Natarajan"' in html  # what was typed stays
    assert not User.objects.filter(username="priya").exists()
    assert not Practitioner.objects.filter(license_number="").exists()


def test_it_changes_a_role_and_refuses_to_let_the_admin_demote_themselves(admin, dana, client_for):
    client = client_for(admin)
    data = {"first_name": "Dana", "last_name": "Whitfield", "email": "", "role": Role.CLINIC_ADMIN}
    assert client.post(reverse("staff_update", args=[dana.pk]), data).status_code == 302
    dana.refresh_from_db()
    assert dana.role == Role.CLINIC_ADMIN and not dana.is_active

    mine = {
        "first_name": "Sam",
        "last_name": "Reyes",
        "email": "",
        "role": Role.FRONT_DESK,
        "is_active": "on",
    }
    response = client.post(reverse("staff_update", args=[admin.pk]), mine)
    assert response.status_code == 200
    assert "id_role-errors" in response.content.decode()
    admin.refresh_from_db()
    assert admin.role == Role.CLINIC_ADMIN


def test_it_hides_another_clinics_staff_from_the_admin(admin, outsider, client_for):
    assert client_for(admin).get(reverse("staff_update", args=[outsider.pk])).status_code == 404


def test_it_shows_the_clinic_locations_and_rooms(admin, client_for):
    page = client_for(admin).get(reverse("organization_detail")).content.decode()
    assert "Riverside Main" in page and "Eastside" in page and "Massage 1" in page


def test_another_clinics_admin_sees_only_their_own_settings(organization, client_for):
    other, _ = clinic("Elsewhere Physio")
    their_admin = persona_user(other, PersonaSpec("erin", "Erin", "Bloom", Role.CLINIC_ADMIN))
    page = client_for(their_admin).get(reverse("organization_detail")).content.decode()
    assert "Elsewhere Physio" in page and "Riverside Spine" not in page
