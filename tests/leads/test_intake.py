"""Sending the form: a stored lead with its outbox rows, or clear errors and nothing stored."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from support import VALID, hidden_inputs, text_of

from leadpages.delivery.models import Delivery
from leadpages.extensions import db
from leadpages.leads.models import Lead
from leadpages.notices.models import PrivacyNotice


def count(app: Any, model: Any) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model)) or 0


def only_lead(app: Any) -> Lead:
    with app.app_context():
        return db.session.scalars(select(Lead)).one()


def test_valid_form_stores_lead_and_outbox_then_redirects(app: Any, submit: Any,
                                                          make_partner: Any,
                                                          make_project: Any) -> None:
    partner = make_partner(webhook_url="https://crm.partner.example/hook",
                           email_recipients=["sales@partner.example"])
    project = make_project(partner=partner)
    response = submit(project, lang="nl", query="?c=spring-meta", postcode="9000", country="BE",
                      budget_amount="350.000", budget_currency="EUR", bedrooms="2",
                      garden="yes", timeframe="6m", contact_preference="visit",
                      message="Graag een brochure.\nDank!", marketing_email="y")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/nl/p/{project.slug}/thanks"
    lead = only_lead(app)
    assert (lead.first_name, lead.last_name) == ("Jan", "Janssens")
    assert lead.email == "jan.janssens@example.com"
    assert lead.phone == "+32470123456"
    assert lead.budget_amount == Decimal("350000.00")
    assert (lead.bedrooms, lead.garden, lead.timeframe) == (2, "yes", "6m")
    assert lead.contact_preference == "visit"
    assert lead.message == "Graag een brochure.\nDank!"
    assert lead.language == "nl"
    assert lead.campaign_code == "spring-meta"
    assert lead.partner_id == partner.id
    assert lead.marketing_email_opt_in is True
    assert lead.marketing_email_text_version == "marketing-email/1"
    assert lead.audience_basis == "legitimate-interest"
    assert lead.ads_objected is False
    assert lead.ads_text_version == "ads-objection/1"
    assert lead.source_ip == "127.0.0.1"
    with app.app_context():
        notice = db.session.get(PrivacyNotice, lead.notice_id)
        assert notice is not None
        assert notice.language == "nl"
        assert notice.version == 1
        channels = sorted(d.channel for d in db.session.scalars(select(Delivery)))
        assert channels == ["email", "webhook"]
        rows = list(db.session.scalars(select(Delivery)))
        assert all(d.lead_id == lead.id and d.status == "pending" for d in rows)
        assert all(d.kind == "lead.created" and d.message_id.startswith("msg_") for d in rows)


def test_thanks_page_says_who_will_contact_and_how_to_object(client: Any,
                                                            make_project: Any) -> None:
    project = make_project()
    page = text_of(client.get(f"/en/p/{project.slug}/thanks"))
    assert project.partner.legal_name in page
    assert "Anna Peeters will contact you" in page
    assert "Object to ads and emails" in page
    assert "noindex" in client.get(f"/en/p/{project.slug}/thanks").get_data(as_text=True)


def test_objection_box_is_stored(app: Any, submit: Any, make_project: Any) -> None:
    submit(make_project(), ads_objection="y")
    lead = only_lead(app)
    assert lead.ads_objected is True
    assert lead.marketing_email_opt_in is False


def test_consent_basis_shows_consent_box(app: Any, client: Any, submit: Any,
                                         make_project: Any) -> None:
    project = make_project()
    app.config["AUDIENCE_BASIS"] = "consent"
    try:
        body = client.get(f"/en/p/{project.slug}").get_data(as_text=True)
        assert 'name="ads_consent"' in body
        assert 'name="ads_objection"' not in body
        assert "checked" not in body.split('name="ads_consent"')[0].rsplit("<input", 1)[1]
        submit(project, ads_consent="y")
    finally:
        app.config["AUDIENCE_BASIS"] = "legitimate-interest"
    lead = only_lead(app)
    assert (lead.audience_basis, lead.ads_consented, lead.ads_text_version) == (
        "consent", True, "ads-consent/1")


def test_boxes_are_unticked(client: Any, make_project: Any) -> None:
    body = client.get(f"/en/p/{make_project().slug}").get_data(as_text=True)
    for name in ("marketing_email", "ads_objection"):
        tag = body.split(f'name="{name}"')[1].split(">", 1)[0]
        assert "checked" not in tag


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("first_name", "", "Fill in this field."),
        ("last_name", "   ", "Fill in this field."),
        ("email", "jan@", "Enter a valid email address"),
        ("email", "", "Fill in this field."),
        ("phone", "12", "Enter a valid phone number"),
        ("phone", "0470 12 34 5", "Enter a valid phone number"),
        ("first_name", "x" * 101, "Use at most 100 characters (you used 101)."),
        ("first_name", "Jan\x00", "Remove the special or invisible characters."),
        ("last_name", "Jans\u202esens", "Remove the special or invisible characters."),
        ("first_name", "Ja\u2028n", "Remove the special or invisible characters."),
        ("last_name", "Jans\u200bsens", "Remove the special or invisible characters."),
        ("postcode", "123", "Enter a valid postcode for Belgium."),
        ("budget_amount", "-5", "Enter an amount greater than zero"),
        ("budget_amount", "0", "Enter an amount greater than zero"),
        ("budget_amount", "lots", "Enter an amount greater than zero"),
        ("message", "m" * 2001, "Use at most 2000 characters"),
        ("message", "hi\x07there", "Remove the special or invisible characters."),
        ("contact_preference", "carrier-pigeon", "Choose one of the options."),
        ("timeframe", "yesterday", "Choose one of the options."),
        ("country", "XX", "Choose one of the options."),
    ],
)
def test_bad_input_gets_422_with_error_beside_field_and_nothing_stored(
    app: Any, submit: Any, make_project: Any, field: str, value: str, message: str
) -> None:
    project = make_project()
    typed = {"first_name": "Marie", "email": "marie@example.com", "phone": "0470 99 88 77",
             "preferred_location": "Gent centrum"}
    response = submit(project, **{**typed, field: value})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert message in body
    # The error stands beside its field, linked to it, and the summary links to the field.
    assert f'id="{field}-error"' in body or field == "contact_preference"
    assert f'href="#{field}"' in body
    for name, kept in typed.items():
        if name != field:
            assert f'value="{kept}"' in body
    assert count(app, Lead) == 0
    assert count(app, Delivery) == 0


def test_errors_come_in_the_visitors_language(submit: Any, make_project: Any) -> None:
    response = submit(make_project(), lang="fr", email="pas-une-adresse", first_name="")
    assert response.status_code == 422
    page = text_of(response)
    assert "Saisissez une adresse e-mail valide" in page
    assert "Remplissez ce champ." in page
    dutch = text_of(submit(make_project(), lang="nl", phone="12"))
    assert "Vul een geldig telefoonnummer in" in dutch


def test_other_countries_postcodes(app: Any, submit: Any, make_project: Any) -> None:
    project = make_project()
    assert submit(project, postcode="1012 ab", country="NL").status_code == 303
    assert only_lead(app).postcode == "1012 AB"
    assert submit(make_project(), postcode="1012 AB", country="BE").status_code == 422


def test_phone_in_international_forms_is_one_number(app: Any, submit: Any,
                                                    make_project: Any) -> None:
    for written in ("+32 470 12 34 56", "0032470123456", "0470/12.34.56"):
        project = make_project()
        assert submit(project, phone=written).status_code == 303
    with app.app_context():
        assert set(db.session.scalars(select(Lead.phone))) == {"+32470123456"}


def test_honeypot_refuses_and_stores_nothing(app: Any, submit: Any, make_project: Any) -> None:
    response = submit(make_project(), website="http://spam.example")
    assert response.status_code == 422
    assert "We could not accept this form" in response.get_data(as_text=True)
    assert count(app, Lead) == 0


def test_too_fast_submission_is_refused(app: Any, submit: Any, make_project: Any) -> None:
    app.config["FORM_MIN_SECONDS"] = 30
    try:
        response = submit(make_project())
    finally:
        app.config["FORM_MIN_SECONDS"] = 0
    assert response.status_code == 422
    assert "quicker than a person can type" in response.get_data(as_text=True)
    assert count(app, Lead) == 0


def test_forged_token_is_refused_and_a_fresh_one_served(app: Any, submit: Any,
                                                        make_project: Any) -> None:
    response = submit(make_project(), token="1700000000000.forged")
    assert response.status_code == 422
    assert "This form had expired" in response.get_data(as_text=True)
    fresh = hidden_inputs(response.get_data(as_text=True))["token"]
    assert fresh
    assert fresh != "1700000000000.forged"
    assert count(app, Lead) == 0


def test_missing_cookie_keeps_what_was_typed_and_works_on_retry(app: Any, client: Any,
                                                                make_project: Any) -> None:
    project = make_project()
    page = client.get(f"/en/p/{project.slug}").get_data(as_text=True)
    client.delete_cookie("lp_form")  # cookies blocked, or the browser session ended
    data = {**hidden_inputs(page), **VALID}
    response = client.post(f"/en/p/{project.slug}", data=data)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "cookies are blocked" in body
    assert 'value="Janssens"' in body
    assert count(app, Lead) == 0
    again = {**data, **hidden_inputs(body)}
    assert client.post(f"/en/p/{project.slug}", data=again).status_code == 303


def test_token_of_another_browser_is_refused(app: Any, make_project: Any) -> None:
    """A cross-site post carries a token, but not one made for the victim's cookie."""
    project = make_project()
    attacker, victim = app.test_client(), app.test_client()
    stolen = hidden_inputs(attacker.get(f"/en/p/{project.slug}").get_data(as_text=True))
    victim.get(f"/en/p/{project.slug}")
    response = victim.post(f"/en/p/{project.slug}", data={**stolen, **VALID})
    assert response.status_code == 422
    assert count(app, Lead) == 0


def test_form_cookie_is_set_once_and_http_only(client: Any, make_project: Any) -> None:
    project = make_project()
    first = client.get(f"/en/p/{project.slug}").headers.getlist("Set-Cookie")
    assert len(first) == 1
    assert first[0].startswith("lp_form=")
    assert "HttpOnly" in first[0]
    assert "SameSite=Lax" in first[0]
    assert client.get(f"/en/p/{project.slug}").headers.getlist("Set-Cookie") == []


def test_duplicate_within_window_is_one_lead_with_added_details(app: Any, submit: Any,
                                                                make_project: Any) -> None:
    project = make_project()
    assert submit(project).status_code == 303
    second = submit(project, email="JAN.Janssens@Example.com ", phone="+32 470 99 99 99",
                    budget_amount="400000", message="Also interested in parking.",
                    ads_objection="y")
    assert second.status_code == 303
    third = submit(project, email="other@example.com", phone="0032 470 12 34 56",
                   budget_amount="999999", marketing_email="y")
    assert third.status_code == 303
    lead = only_lead(app)
    assert lead.submission_count == 3
    assert lead.budget_amount == Decimal("400000.00")  # the first value given stays
    assert lead.message == "Also interested in parking."
    assert lead.ads_objected is True
    assert lead.marketing_email_opt_in is True
    with app.app_context():
        kinds = sorted(db.session.scalars(select(Delivery.kind)))
    # Delivered once; the objection ticked on the repeat is passed on to the partner.
    assert kinds == ["lead.created", "lead.objected"]


def test_gmail_spellings_are_the_same_person(app: Any, submit: Any, make_project: Any) -> None:
    project = make_project()
    submit(project, email="jan.janssens+ads@gmail.com", phone="0470 11 11 11")
    submit(project, email="JanJanssens@googlemail.com", phone="0470 22 22 22")
    assert count(app, Lead) == 1


def test_same_person_other_project_is_a_new_lead(app: Any, submit: Any,
                                                 make_project: Any) -> None:
    submit(make_project())
    submit(make_project())
    assert count(app, Lead) == 2


def test_after_the_window_a_new_lead_is_made(app: Any, submit: Any, make_project: Any) -> None:
    from datetime import timedelta

    project = make_project()
    submit(project)
    with app.app_context():
        lead = db.session.scalars(select(Lead)).one()
        lead.created_at = lead.created_at - timedelta(days=31)
        db.session.commit()
    submit(project)
    assert count(app, Lead) == 2


def test_closed_project_refuses_submissions(app: Any, client: Any, make_project: Any) -> None:
    project = make_project(status="closed")
    response = client.post(f"/en/p/{project.slug}", data=VALID)
    assert response.status_code == 303
    assert count(app, Lead) == 0


def test_rate_limit_gives_friendly_429(app: Any, submit: Any, make_project: Any) -> None:
    project = make_project()
    app.config["RATELIMIT_LEADS"] = "2 per minute"
    try:
        codes = [submit(project, first_name="").status_code for _ in range(3)]
        limited = submit(project)
    finally:
        app.config["RATELIMIT_LEADS"] = "1000 per minute"
    assert codes == [422, 422, 429]
    assert limited.status_code == 429
    body = limited.get_data(as_text=True)
    assert "Wait a minute, then send the form again" in body
    assert 'value="Janssens"' in body  # what was typed is kept
    assert "Retry-After" in limited.headers
    assert count(app, Lead) == 0


def test_oversized_request_is_refused(app: Any, client: Any, make_project: Any) -> None:
    project = make_project()
    response = client.post(f"/en/p/{project.slug}", data={**VALID, "message": "x" * 70_000})
    assert response.status_code == 413
    assert "Too much data" in response.get_data(as_text=True)
    assert count(app, Lead) == 0


def test_notice_version_changes_when_text_changes(app: Any, submit: Any,
                                                  make_project: Any) -> None:
    submit(make_project())
    app.config["OPERATOR_PRIVACY_EMAIL"] = "dpo@operator.example"
    try:
        submit(make_project())
    finally:
        app.config["OPERATOR_PRIVACY_EMAIL"] = "privacy@leadpages.example"
    with app.app_context():
        versions = [lead.notice.version for lead in db.session.scalars(
            select(Lead).order_by(Lead.id))]
        assert versions == [1, 2]
        assert "dpo@operator.example" in db.session.scalars(
            select(Lead).order_by(Lead.id.desc())).first().notice.body


def test_repeated_messages_are_bounded(app: Any, submit: Any, make_project: Any) -> None:
    project = make_project()
    for n in range(5):
        assert submit(project, message=f"{n}" * 1990).status_code == 303
    lead = only_lead(app)
    assert lead.submission_count == 5
    assert len(lead.message or "") <= 6000
    assert lead.message is not None
    assert lead.message.startswith("0" * 1990)
