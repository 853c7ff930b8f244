"""Partners in the workspace: create, edit, users, API keys, secrets, dead letters; the roles."""

from __future__ import annotations

import html
import io
import random
import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select
from support import text_of

from leadpages.accounts.models import ApiKey, PartnerUser
from leadpages.audit.models import AuditEvent
from leadpages.db import utcnow
from leadpages.delivery.models import Delivery, DeliveryAttempt
from leadpages.extensions import db
from leadpages.partners.models import Partner


def png_logo(size: tuple[int, int] = (300, 90)) -> bytes:
    """A real PNG with a comment chunk that re-encoding must drop."""
    from PIL import PngImagePlugin

    image = Image.new("RGBA", size, (20, 83, 45, 255))
    for x in range(0, size[0], 10):
        image.putpixel((x, size[1] // 2), (255, 255, 255, 255))
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "secret author notes")
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info)
    return out.getvalue()


def form(**values: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "slug": "bouw-janssens",
        "legal_name": "Bouw Janssens NV",
        "enterprise_number": "BE 0123.456.789",
        "address": "Kerkstraat 1, 9000 Gent",
        "website": "https://bouwjanssens.example",
        "contact_name": "Jan Janssens",
        "contact_email": "jan@bouwjanssens.example",
        "contact_phone": "+32 9 123 45 67",
        "privacy_email": "privacy@bouwjanssens.example",
        "webhook_url": "",
        "email_recipients": "leads@bouwjanssens.example\nsales@bouwjanssens.example",
    }
    data.update(values)
    return data


def partner_by_slug(app: Any, slug: str) -> Partner | None:
    with app.app_context():
        partner = db.session.scalar(select(Partner).where(Partner.slug == slug))
        if partner is not None:
            db.session.expunge(partner)
        return partner


def events(app: Any, action: str) -> list[AuditEvent]:
    with app.app_context():
        rows = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                       .order_by(AuditEvent.id)))
        for row in rows:
            db.session.expunge(row)
        return rows


def count_partners(app: Any) -> int:
    with app.app_context():
        return len(db.session.scalars(select(Partner.id)).all())


# Creating a partner.


def test_a_logo_larger_than_a_public_form_is_accepted(app, marketer):
    noise = Image.frombytes("RGB", (400, 300), bytes(random.Random(7).randbytes(400 * 300 * 3)))
    out = io.BytesIO()
    noise.save(out, "PNG")
    assert len(out.getvalue()) > app.config["MAX_CONTENT_LENGTH"]
    response = marketer.post("/admin/partners/new", {
        **form(), "logo": (io.BytesIO(out.getvalue()), "logo.png")},
        content_type="multipart/form-data")
    assert response.status_code == 303, text_of(response)
    assert partner_by_slug(app, "bouw-janssens").logo


def test_marketer_creates_a_partner_with_a_logo_stored_re_encoded(app, marketer):
    response = marketer.post("/admin/partners/new", {
        **form(), "logo": (io.BytesIO(png_logo()), "logo.png")},
        content_type="multipart/form-data")
    assert response.status_code == 303, text_of(response)
    partner = partner_by_slug(app, "bouw-janssens")
    assert partner is not None
    assert response.headers["Location"].endswith(f"/admin/partners/{partner.id}")
    assert (partner.legal_name, partner.contact_phone) == ("Bouw Janssens NV", "+32 9 123 45 67")
    assert partner.email_recipients == ["leads@bouwjanssens.example",
                                        "sales@bouwjanssens.example"]
    assert partner.webhook_url is None
    assert partner.logo
    assert re.fullmatch(r"[0-9a-f]+\.png", partner.logo)
    stored = Path(app.config["UPLOAD_PATH"]) / "logos" / partner.logo
    data = stored.read_bytes()
    assert data != png_logo()
    assert b"secret author notes" not in data
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG"
        assert image.size == (300, 90)
    [event] = events(app, "partner.create")
    assert event.subject == f"partner:{partner.id}"
    assert "jan@" not in str(event.detail)
    page = marketer.get(f"/admin/partners/{partner.id}")
    assert page.status_code == 200
    assert f"logos/{partner.logo}" in page.get_data(as_text=True)
    assert "No arrangement is in force" in html.unescape(text_of(page))
    listing = marketer.get("/admin/partners")
    assert "Bouw Janssens NV" in text_of(listing)


def test_a_webhook_address_comes_with_its_secret_shown_once(app, marketer):
    app.config["WEBHOOK_ALLOW_LOOPBACK"] = True
    try:
        response = marketer.post("/admin/partners/new",
                                 form(webhook_url="http://127.0.0.1:8123/hook"))
    finally:
        app.config["WEBHOOK_ALLOW_LOOPBACK"] = False
    assert response.status_code == 200
    partner = partner_by_slug(app, "bouw-janssens")
    assert partner is not None
    assert partner.webhook_url == "http://127.0.0.1:8123/hook"
    secret = partner.webhook_secrets[-1]["secret"]
    assert secret
    assert secret in response.get_data(as_text=True)
    again = marketer.get(f"/admin/partners/{partner.id}")
    assert secret not in again.get_data(as_text=True)


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"slug": "Bouw Janssens"}, "slug", "Use lower-case letters, digits and hyphens only"),
        ({"slug": "-bouw"}, "slug", "Use lower-case letters, digits and hyphens only"),
        ({"contact_email": "jan@"}, "contact_email", "Enter a valid email address"),
        ({"privacy_email": ""}, "privacy_email", "Fill in this field."),
        ({"legal_name": ""}, "legal_name", "Fill in this field."),
        ({"website": "bouwjanssens"}, "website", "Enter a full address starting with https://"),
        ({"email_recipients": "leads@x.example\nnot an address"}, "email_recipients",
         "not an address is not a valid email address"),
        ({"webhook_url": "http://10.0.0.1/hook"}, "webhook_url", "is not a public address"),
        ({"webhook_url": "http://127.0.0.1:8123/hook"}, "webhook_url",
         "is not a public address"),
    ],
)
def test_bad_input_is_refused_with_what_was_typed_kept(app, marketer, values, field, message):
    before = count_partners(app)
    response = marketer.post("/admin/partners/new", form(**values))
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert f'id="{field}-error"' in body
    assert message in html.unescape(text_of(response))
    assert 'value="Jan Janssens"' in body
    if values.get(field):
        assert html.escape(values[field].splitlines()[-1]) in body
    assert count_partners(app) == before


def test_a_taken_short_name_is_refused(app, marketer, make_partner):
    make_partner(slug="bouw-janssens", legal_name="The First NV")
    response = marketer.post("/admin/partners/new", form(legal_name="The Second NV"))
    assert response.status_code == 422
    assert "Another partner already has this short name." in text_of(response)
    assert 'value="The Second NV"' in response.get_data(as_text=True)
    assert partner_by_slug(app, "bouw-janssens").legal_name == "The First NV"


def test_a_file_that_is_not_an_image_is_refused_and_nothing_stored(app, marketer):
    before = count_partners(app)
    response = marketer.post("/admin/partners/new", {
        **form(), "logo": (io.BytesIO(b"%PDF-1.4 not a picture"), "logo.png")},
        content_type="multipart/form-data")
    assert response.status_code == 422
    assert 'id="logo-error"' in response.get_data(as_text=True)
    assert "The file is not an image" in text_of(response)
    assert count_partners(app) == before
    logos = Path(app.config["UPLOAD_PATH"]) / "logos"
    assert not logos.exists() or all(p.suffix == ".png" for p in logos.iterdir())


def test_production_needs_an_https_webhook(app, marketer):
    app.config.update(ENV="production", WEBHOOK_ALLOW_LOOPBACK=True)
    try:
        response = marketer.post("/admin/partners/new",
                                 form(webhook_url="http://127.0.0.1:8123/hook"))
    finally:
        app.config.update(ENV="test", WEBHOOK_ALLOW_LOOPBACK=False)
    assert response.status_code == 422
    assert "the address must start with https://" in text_of(response)
    assert partner_by_slug(app, "bouw-janssens") is None


def test_edit_changes_the_partner_and_keeps_the_logo(app, marketer, make_partner):
    partner = make_partner(logo="abc.png")
    page = marketer.get(f"/admin/partners/{partner.id}/edit")
    assert page.status_code == 200
    assert f'value="{partner.legal_name}"' in page.get_data(as_text=True)
    response = marketer.post(f"/admin/partners/{partner.id}/edit",
                             form(slug=partner.slug, legal_name="Renamed NV",
                                  email_recipients="one@renamed.example"))
    assert response.status_code == 303
    changed = partner_by_slug(app, partner.slug)
    assert (changed.legal_name, changed.email_recipients, changed.logo) == (
        "Renamed NV", ["one@renamed.example"], "abc.png")
    bad = marketer.post(f"/admin/partners/{partner.id}/edit",
                        form(slug=partner.slug, legal_name="Other NV", contact_email="x"))
    assert bad.status_code == 422
    assert partner_by_slug(app, partner.slug).legal_name == "Renamed NV"


# Roles.


def test_privacy_officer_cannot_create_partners(app, privacy_officer):
    assert privacy_officer.get("/admin/partners/new").status_code == 403
    assert privacy_officer.post("/admin/partners/new", form()).status_code == 403
    assert privacy_officer.get("/admin/partners").status_code == 403
    assert partner_by_slug(app, "bouw-janssens") is None


def test_without_a_session_the_browser_is_sent_to_sign_in(app, client, make_partner):
    partner = make_partner()
    for url in ("/admin/partners", "/admin/partners/new", f"/admin/partners/{partner.id}",
                f"/admin/partners/{partner.id}/health"):
        response = client.get(url)
        assert response.status_code == 303
        assert "/admin/sign-in" in response.headers["Location"]
    assert client.post("/admin/partners/new", data=form()).status_code in (303, 400)
    assert partner_by_slug(app, "bouw-janssens") is None


def test_unknown_partner_is_not_found(marketer):
    assert marketer.get("/admin/partners/999999").status_code == 404


# Users, keys and the webhook secret.


def test_a_portal_user_made_here_can_sign_in_to_the_portal(app, marketer, make_partner):
    partner = make_partner()
    response = marketer.post(f"/admin/partners/{partner.id}/users", {
        "name": "Pia Partner", "email": "Pia@Partner.example", "password": "a Good password 1"})
    assert response.status_code == 303
    with app.app_context():
        user = db.session.scalar(select(PartnerUser).where(PartnerUser.partner_id == partner.id))
        assert user is not None
        assert user.email == "pia@partner.example"
        user_id = user.id
    [event] = events(app, "partner.user.create")
    assert event.detail == {"user": user_id}
    assert "pia@partner.example" in text_of(marketer.get(f"/admin/partners/{partner.id}"))
    portal = app.test_client()
    page = portal.get("/portal/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
    assert token
    signed = portal.post("/portal/sign-in", data={
        "csrf_token": token.group(1), "email": "pia@partner.example",
        "password": "a Good password 1"})
    assert signed.status_code == 303
    assert "/portal/sign-in" not in signed.headers["Location"]


def test_a_bad_portal_user_is_refused_and_nothing_saved(app, marketer, make_partner):
    partner = make_partner()
    response = marketer.post(f"/admin/partners/{partner.id}/users", {
        "name": "Pia Partner", "email": "pia@partner.example", "password": "short"})
    assert response.status_code == 422
    assert "Use at least 12 characters." in text_of(response)
    assert 'value="Pia Partner"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(PartnerUser).where(
            PartnerUser.partner_id == partner.id)) is None


def test_an_api_key_is_shown_once_and_can_be_revoked(app, marketer, make_partner):
    partner = make_partner()
    response = marketer.post(f"/admin/partners/{partner.id}/api-keys", {"name": "CRM sync"})
    assert response.status_code == 200
    found = re.search(r'value="(lp_[^"]+)"', response.get_data(as_text=True))
    assert found
    plain = found.group(1)
    page = marketer.get(f"/admin/partners/{partner.id}").get_data(as_text=True)
    assert plain not in page
    assert plain[:10] in page
    with app.app_context():
        key = db.session.scalar(select(ApiKey).where(ApiKey.partner_id == partner.id))
        assert key is not None
        assert key.is_active
        key_id = key.id
    [created] = events(app, "partner.api_key.create")
    assert created.detail == {"key": key_id}
    revoked = marketer.post(f"/admin/partners/{partner.id}/api-keys/{key_id}/revoke")
    assert revoked.status_code == 303
    with app.app_context():
        assert db.session.get(ApiKey, key_id).revoked_at is not None
    assert events(app, "partner.api_key.revoke")
    other = make_partner()
    assert marketer.post(f"/admin/partners/{other.id}/api-keys/{key_id}/revoke"
                         ).status_code == 404


def test_rotating_the_secret_shows_the_new_one_once(app, marketer, make_partner):
    partner = make_partner()
    response = marketer.post(f"/admin/partners/{partner.id}/webhook-secret")
    assert response.status_code == 200
    secret = partner_by_slug(app, partner.slug).webhook_secrets[-1]["secret"]
    assert secret
    assert secret.startswith("whsec_")
    assert secret in response.get_data(as_text=True)
    assert secret not in marketer.get(f"/admin/partners/{partner.id}").get_data(as_text=True)
    [event] = events(app, "partner.webhook_secret.rotate")
    assert event.subject == f"partner:{partner.id}"


# Dead letters.


def dead_letter(session: Any, partner: Partner) -> Delivery:
    at = utcnow()
    row = Delivery(kind="ping", partner_id=partner.id, channel="webhook", payload="{}",
                   status="dead", attempts=3, last_error="HTTP 410: the receiver refused",
                   next_attempt_at=at)
    row.history.append(DeliveryAttempt(started_at=at, outcome="dead", status_code=410,
                                       error="HTTP 410: the receiver refused the message"))
    session.add(row)
    session.flush()
    return row


def test_replaying_a_dead_letter_queues_it_again_and_is_audited(app, marketer, make_partner,
                                                                session):
    partner = make_partner()
    row = dead_letter(session, partner)
    page = marketer.get(f"/admin/partners/{partner.id}/health")
    assert page.status_code == 200
    assert "Dead letters (1)" in text_of(page)
    response = marketer.post(f"/admin/partners/{partner.id}/deliveries/{row.id}/replay")
    assert response.status_code == 303
    with app.app_context():
        again = db.session.get(Delivery, row.id)
        assert (again.status, again.attempts) == ("pending", 0)
        assert again.history[-1].outcome == "replayed"
        assert "Sam Staff" in (again.history[-1].error or "")
    [event] = events(app, "delivery.replay")
    assert (event.subject, event.detail) == (f"partner:{partner.id}", {"delivery": row.id})
    twice = marketer.post(f"/admin/partners/{partner.id}/deliveries/{row.id}/replay")
    assert twice.status_code == 303
    assert len(events(app, "delivery.replay")) == 1


def test_replay_all_dead_letters(app, marketer, make_partner, session):
    partner = make_partner()
    rows = [dead_letter(session, partner), dead_letter(session, partner)]
    response = marketer.post(f"/admin/partners/{partner.id}/deliveries/replay-all")
    assert response.status_code == 303
    with app.app_context():
        assert {db.session.get(Delivery, row.id).status for row in rows} == {"pending"}
    [event] = events(app, "delivery.replay_all")
    assert event.detail == {"replayed": 2, "refused": 0}


def test_another_partners_delivery_cannot_be_replayed_here(app, marketer, make_partner,
                                                            session):
    row = dead_letter(session, make_partner())
    other = make_partner()
    assert marketer.post(f"/admin/partners/{other.id}/deliveries/{row.id}/replay"
                         ).status_code == 404


def test_the_webhook_address_is_looked_up_before_the_write_lock(app, marketer, monkeypatch):
    """A slow DNS answer must not hold SQLite's write lock, which lead intake waits for."""
    import socket

    from leadpages.web import transactions

    events: list[str] = []
    real_lookup, real_begin = socket.getaddrinfo, transactions.begin_write

    def lookup(*args, **kwargs):
        events.append("dns")
        return real_lookup(*args, **kwargs)

    def begin(session):
        events.append("write")
        real_begin(session)

    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    monkeypatch.setattr(transactions, "begin_write", begin)
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW_LOOPBACK", True)
    response = marketer.post("/admin/partners/new", form(webhook_url="http://localhost:8123/h"))
    assert response.status_code == 200, text_of(response)
    assert "dns" in events
    assert "dns" not in events[events.index("write"):]
