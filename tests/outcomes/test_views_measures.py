"""The patient's form behind a link (no sign-in), and the chart's outcome panel and actions."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from tests.outcomes import administering
from tests.outcomes.administering import ODI_ANSWERS

from tandem.outcomes import services
from tandem.outcomes.models import MeasureRequest, Response

pytestmark = pytest.mark.django_db
robert_plan = administering.robert_plan


def odi_post(answers: list[int | None]) -> dict[str, str]:
    return {f"item_section-{i}": str(v) for i, v in enumerate(answers, start=1) if v is not None}


def fill_url(token: str) -> str:
    return reverse("measure_fill", args=[token])


class TestPatientForm:
    def test_it_shows_the_items_from_the_questionnaire_and_only_the_first_name(self, dana, patient):
        _, token = services.measure_link_create(actor=dana, patient=patient, instrument_code="odi")
        page = Client().get(fill_url(token))
        html = page.content.decode()
        assert page.status_code == 200
        assert "Hello Robert" in html and "Hale" not in html and patient.mrn not in html
        assert "1 of 10" in html and "10 of 10" in html and "Pain intensity" in html
        assert html.count('type="radio"') == 60
        assert "Obtain the licensed form from its owner" in html
        assert 'name="csrfmiddlewaretoken"' in html

    def test_answers_are_scored_stored_and_thanked_for(self, dana, patient):
        _, token = services.measure_link_create(actor=dana, patient=patient, instrument_code="odi")
        client = Client(enforce_csrf_checks=True)
        page = client.get(fill_url(token))
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
        done = client.post(fill_url(token), {**odi_post(ODI_ANSWERS), "csrfmiddlewaretoken": csrf})
        assert done.status_code == 200 and "Thank you, Robert" in done.content.decode()
        response = Response.objects.get()
        assert response.source == "patient-link" and response.answers == ODI_ANSWERS
        assert response.score.value == pytest.approx(38.0)
        again = client.get(fill_url(token))
        assert again.status_code == 410 and "Robert" not in again.content.decode()

    def test_a_post_without_the_csrf_token_is_refused(self, dana, patient):
        _, token = services.measure_link_create(actor=dana, patient=patient, instrument_code="odi")
        refused = Client(enforce_csrf_checks=True).post(fill_url(token), odi_post(ODI_ANSWERS))
        assert refused.status_code == 403 and not Response.objects.exists()

    def test_a_required_item_left_out_is_named_and_nothing_is_stored(self, dana, patient):
        _, token = services.measure_link_create(actor=dana, patient=patient, instrument_code="nprs")
        page = Client().post(fill_url(token), {})
        assert page.status_code == 422 and "Please choose an answer." in page.content.decode()
        assert not Response.objects.exists()
        assert MeasureRequest.objects.get().used_at is None

    def test_a_forged_value_is_refused(self, dana, patient):
        _, token = services.measure_link_create(actor=dana, patient=patient, instrument_code="odi")
        page = Client().post(fill_url(token), {**odi_post(ODI_ANSWERS), "item_section-1": "9"})
        assert page.status_code == 422 and not Response.objects.exists()

    def test_an_odi_with_sections_left_out_is_stored_with_the_smaller_denominator(self, dana, patient):
        _, token = services.measure_link_create(actor=dana, patient=patient, instrument_code="odi")
        answers = [3, 2, 2, None, 3, 2, 1, 2, 1, 2]
        assert Client().post(fill_url(token), odi_post(answers)).status_code == 200
        assert Response.objects.get().score.value == pytest.approx(40.0)

    def test_a_psfs_form_asks_for_names_and_ratings(self, dana, patient):
        _, token = services.measure_link_create(actor=dana, patient=patient, instrument_code="psfs")
        data = {
            "activity_1_name": "Gardening",
            "activity_1": "3",
            "activity_2_name": "Stairs",
            "activity_2": "6",
        }
        short = Client().post(fill_url(token), {**data, "activity_3": "5"})
        assert short.status_code == 422 and "Please name the activity you rated." in short.content.decode()
        done = Client().post(fill_url(token), {**data, "activity_3_name": "Driving", "activity_3": "5"})
        assert done.status_code == 200 and Response.objects.get().answers == [3, 6, 5]

    @pytest.mark.parametrize("token", ["m_unknown", "nothing-like-a-token"])
    def test_an_unknown_link_says_so_plainly(self, token):
        page = Client().get(fill_url(token))
        assert page.status_code == 404 and "This link is not known." in page.content.decode()

    def test_an_expired_link_says_so_without_naming_the_patient(self, dana, patient):
        import datetime

        from django.utils import timezone

        link, token = services.measure_link_create(actor=dana, patient=patient, instrument_code="odi")
        past = timezone.now() - datetime.timedelta(days=9)
        MeasureRequest.objects.filter(pk=link.pk).update(
            created_at=past, expires_at=past + datetime.timedelta(days=1)
        )
        page = Client().get(fill_url(token))
        assert (
            page.status_code == 410
            and "expired" in page.content.decode()
            and "Robert" not in page.content.decode()
        )


class TestChartPanel:
    def test_alice_sees_the_score_band_change_and_mcid(self, alice, client_for, patient):
        import datetime

        from django.utils import timezone

        services.response_record(
            actor=alice,
            patient=patient,
            instrument_code="odi",
            source="paper",
            answers=ODI_ANSWERS,
            timepoint="baseline",
            authored_at=timezone.now() - datetime.timedelta(days=21),
        )
        services.response_record(
            actor=alice, patient=patient, instrument_code="odi", source="paper", answers=[1] * 10
        )
        html = client_for(alice).get(reverse("patient_chart", args=[patient.pk])).content.decode()
        panel = html[html.index('id="outcomes"') :]
        assert "Outcome measures" in panel and "20.0" in panel and "+18.0 points" in panel
        assert "MCID reached" in panel and "Send a link" in panel and "Enter a paper form" in panel

    def test_dana_may_send_a_link_but_sees_no_scores(self, alice, dana, client_for, patient, rf):
        from django.template import Context, Template

        services.response_record(
            actor=alice, patient=patient, instrument_code="odi", source="paper", answers=ODI_ANSWERS
        )
        # Dana's page is the demographic one (patients/patient_detail.html); the panel drawn for her:
        template = Template("{% load outcomes_tags %}{% outcomes_chart_panel patient user %}")
        request = rf.get("/")
        request.user = dana
        panel = template.render(Context({"patient": patient, "user": dana, "request": request}))
        assert "Send a link" in panel and "Fill on this tablet" in panel
        assert "38.0" not in panel and "outcome-scores" not in panel and "Enter a paper form" not in panel
        page = client_for(dana).get(reverse("patient_chart", args=[patient.pk])).content.decode()
        assert "38.0" not in page and "outcome-scores" not in page
        assert 'id="send-link"' in page and "Fill on this tablet" in page  # her page carries the panel

    def test_sending_a_link_shows_it_once_with_its_expiry(self, dana, client_for, patient):
        page = client_for(dana).post(
            reverse("measure_link_send", args=[patient.pk]), {"instrument": "odi", "timepoint": "baseline"}
        )
        html = page.content.decode()
        url = re.search(r'value="(http://testserver/m/[^"]+)"', html).group(1)
        link = MeasureRequest.objects.get()
        assert link.timepoint == "baseline" and link.created_by == dana
        assert Client().get(url.removeprefix("http://testserver")).status_code == 200

    def test_fill_on_this_tablet_opens_the_form_on_this_device(self, alice, client_for, patient, robert_plan):
        client = client_for(alice)
        page = client.post(
            reverse("measure_tablet_start", args=[patient.pk]),
            {"instrument": "nprs", "timepoint": "follow-up", "plan": robert_plan.pk},
        )
        assert page.status_code == 302 and page.url.startswith("/m/m_")
        assert client.post(page.url, {"item_pain": "4"}).status_code == 200
        response = Response.objects.get()
        assert (response.source, response.plan, response.score.value) == ("tablet", robert_plan, 4)

    def test_outsiders_cannot_send_links(self, outsider, maya, client_for, patient, other_patient):
        for user, person in ((outsider, patient), (maya, other_patient)):
            page = client_for(user).post(
                reverse("measure_link_send", args=[person.pk]), {"instrument": "odi"}
            )
            assert page.status_code == 404
        assert not MeasureRequest.objects.exists()


class TestPaperEntry:
    def test_alice_types_in_a_paper_form(self, alice, client_for, patient, robert_plan):
        url = reverse("measure_paper_entry", args=[patient.pk]) + "?instrument=odi"
        client = client_for(alice)
        form = client.get(url)
        assert form.status_code == 200 and "Pain intensity" in form.content.decode()
        data = {
            **odi_post(ODI_ANSWERS),
            "authored_on": "2026-11-20",
            "timepoint": "baseline",
            "plan": robert_plan.pk,
        }
        saved = client.post(url, data)
        assert saved.status_code == 302
        response = Response.objects.get()
        assert (response.source, response.entered_by, response.timepoint) == ("paper", alice, "baseline")
        assert response.authored_at.date().isoformat() == "2026-11-20" and response.plan == robert_plan

    def test_a_future_date_is_refused_beside_its_field(self, alice, client_for, patient):
        url = reverse("measure_paper_entry", args=[patient.pk]) + "?instrument=odi"
        page = client_for(alice).post(
            url, {**odi_post(ODI_ANSWERS), "authored_on": "2999-01-01", "timepoint": "baseline"}
        )
        assert page.status_code == 422 and "in the future" in page.content.decode()
        assert not Response.objects.exists()

    @pytest.mark.parametrize("who", ["dana", "admin", "outsider"])
    def test_only_the_care_team_may_enter_paper_forms(self, who, personas, client_for, patient):
        url = reverse("measure_paper_entry", args=[patient.pk]) + "?instrument=odi"
        assert client_for(personas[who]).post(url, odi_post(ODI_ANSWERS)).status_code == 404
        assert not Response.objects.exists()


class TestScheduleForm:
    def test_alice_sets_a_plans_measures_from_the_chart(self, alice, client_for, patient, robert_plan):
        from tandem.outcomes.models import MeasureSchedule

        client = client_for(alice)
        data = {
            "plan": robert_plan.pk,
            "instruments": ["odi", "nprs"],
            "at_baseline": "on",
            "repeat": "weeks",
        }
        refused = client.post(reverse("measure_schedule_set", args=[patient.pk]), data)
        assert refused.status_code == 302 and not MeasureSchedule.objects.exists()
        saved = client.post(reverse("measure_schedule_set", args=[patient.pk]), {**data, "every": "3"})
        assert saved.status_code == 302
        schedule = MeasureSchedule.objects.get(plan=robert_plan)
        assert schedule.instruments == ["odi", "nprs"] and schedule.every_weeks == 3
        assert (schedule.at_baseline, schedule.at_discharge, schedule.every_visits) == (True, False, None)
        chart = client.get(reverse("patient_chart", args=[patient.pk])).content.decode()
        assert "every 3 weeks" in chart and "overdue" in chart  # the baseline, four weeks ago

    @pytest.mark.parametrize("who", ["dana", "outsider"])
    def test_others_cannot_set_a_schedule(self, who, personas, client_for, patient, robert_plan):
        from tandem.outcomes.models import MeasureSchedule

        data = {"plan": robert_plan.pk, "instruments": ["odi"]}
        page = client_for(personas[who]).post(reverse("measure_schedule_set", args=[patient.pk]), data)
        assert page.status_code == 404 and not MeasureSchedule.objects.exists()


class TestReminders:
    def test_overdue_measures_are_emailed_once_a_week_with_a_fresh_link(
        self, alice, patient, robert_plan, settings
    ):
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        patient.email = "robert@example.invalid"
        patient.save()
        services.schedule_set(actor=alice, plan=robert_plan, instruments=["odi"])
        call_command("send_measure_reminders", "--base-url", "https://clinic.example")
        [message] = mail.outbox
        assert message.to == ["robert@example.invalid"] and "ODI" in message.body
        url = re.search(r"https://clinic.example(/m/\S+)", message.body).group(1)
        assert "Hale" not in message.body and "disc" not in message.body
        call_command("send_measure_reminders", "--base-url", "https://clinic.example")
        assert len(mail.outbox) == 1
        assert Client().post(url, odi_post(ODI_ANSWERS)).status_code == 200
        assert Response.objects.get().timepoint == "baseline"

    def test_a_patient_without_email_is_skipped_and_a_bad_base_url_refused(
        self, alice, robert_plan, settings
    ):
        from django.core.management.base import CommandError

        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        services.schedule_set(actor=alice, plan=robert_plan, instruments=["odi"])
        call_command("send_measure_reminders", "--base-url", "https://clinic.example")
        assert mail.outbox == [] and not MeasureRequest.objects.exists()
        with pytest.raises(CommandError):
            call_command("send_measure_reminders", "--base-url", "clinic")
