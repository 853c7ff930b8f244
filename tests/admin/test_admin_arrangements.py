"""Arrangements in the workspace: draft, edit, review side by side, activate with who signed."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from support import text_of

from leadpages.arrangements import services as arrangements
from leadpages.arrangements.models import Arrangement
from leadpages.audit.models import AuditEvent
from leadpages.db import utcnow
from leadpages.extensions import db


def versions(app: Any, partner_id: int) -> list[Arrangement]:
    with app.app_context():
        rows = list(db.session.scalars(select(Arrangement).where(
            Arrangement.partner_id == partner_id).order_by(Arrangement.version)))
        for row in rows:
            db.session.expunge(row)
        return rows


def content_form(**values: Any) -> dict[str, Any]:
    """The edit form filled as the standard terms are, with `values` changed."""
    data: dict[str, Any] = {
        "purposes": ["forward-leads", "categorise-retarget"],
        "informs_at_collection": "operator", "contact_point": "operator",
        **{f"right_{right}": "either" for right in arrangements.RIGHTS},
        "partner_retention": "At most 24 months after the last contact.",
        "partner_duties": "Act within 5 working days on every objection and erasure notice.",
        "essence_nl": "Wij en de partner zijn gezamenlijk verantwoordelijk voor uw gegevens.",
        "essence_fr": "Nous et le partenaire sommes responsables conjoints de vos données.",
        "essence_en": "We and the partner are joint controllers of the data you send us.",
    }
    data.update(values)
    return data


def sign_form(**values: Any) -> dict[str, Any]:
    data = {"operator_signer_role": "Managing director", "partner_signer": "Piet Partner",
            "partner_signer_role": "Director",
            "signed_at": (utcnow() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "effective_from": ""}
    data.update(values)
    return data


def test_draft_review_and_activate_supersedes_the_version_in_force(app, marketer,
                                                                    make_partner):
    partner = make_partner()
    [first] = versions(app, partner.id)
    assert first.status == "active"
    drafted = marketer.post(f"/admin/partners/{partner.id}/arrangements/draft",
                            {"source": "current"})
    assert drafted.status_code == 303
    assert drafted.headers["Location"].endswith("/arrangements/2/edit")
    edit = marketer.get(f"/admin/partners/{partner.id}/arrangements/2/edit")
    assert edit.status_code == 200
    body = edit.get_data(as_text=True)
    assert 'for="essence_nl"' in body
    assert "Essence for the person, in Dutch" in body
    assert first.essence["fr"][:30] in html.unescape(body)

    saved = marketer.post(f"/admin/partners/{partner.id}/arrangements/2/edit", content_form(
        right_erasure="partner",
        partner_retention="At most 12 months after the last contact."))
    assert saved.status_code == 303
    assert saved.headers["Location"].endswith("/arrangements/2/review")

    review = marketer.get(f"/admin/partners/{partner.id}/arrangements/2/review")
    assert review.status_code == 200
    page = review.get_data(as_text=True)
    assert "<del>At most 24 months" not in page  # the old text was the standard one
    assert "<ins>At most 12 months after the last contact.</ins>" in page
    assert re.search(r"Who answers: Erasure\s*<span class=\"tag changed-tag\">changed", page)
    assert "<del>Either of them</del>" in page
    assert "<ins>The partner</ins>" in page
    assert not re.search(r"Who answers: Access\s*<span class=\"tag changed-tag\">", page)
    assert 'class="split"' in page

    activated = marketer.post(f"/admin/partners/{partner.id}/arrangements/2/activate",
                              sign_form())
    assert activated.status_code == 303, text_of(activated)
    old, new = versions(app, partner.id)
    assert (old.status, old.superseded_by_id) == ("superseded", new.id)
    assert new.status == "active"
    assert (new.partner_signer, new.partner_signer_role) == ("Piet Partner", "Director")
    assert (new.operator_signer, new.operator_signer_role) == ("Sam Staff", "Managing director")
    assert new.rights_handling["erasure"] == "partner"
    assert new.digest
    with app.app_context():
        assert arrangements.in_force(db.session, partner.id).version == 2
        [event] = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "arrangement.activate")).all()
        assert event.subject == f"partner:{partner.id}"
        assert event.detail == {"version": 2, "digest": new.digest}
    listing = text_of(marketer.get(f"/admin/partners/{partner.id}/arrangements"))
    assert "Version 2 is in force" in listing
    again = marketer.get(f"/admin/partners/{partner.id}/arrangements/2/edit")
    assert again.status_code == 303


def test_a_partner_without_one_gets_the_standard_terms(app, marketer, make_partner):
    partner = make_partner(arrangement=False)
    response = marketer.post(f"/admin/partners/{partner.id}/arrangements/draft",
                             {"source": "standard"})
    assert response.status_code == 303
    [draft] = versions(app, partner.id)
    assert draft.status == "draft"
    assert partner.legal_name in draft.essence["nl"]
    review = text_of(marketer.get(f"/admin/partners/{partner.id}/arrangements/1/review"))
    assert "No other version is in force" in review
    # A second draft is not made while one is open.
    marketer.post(f"/admin/partners/{partner.id}/arrangements/draft", {"source": "standard"})
    assert len(versions(app, partner.id)) == 1


def test_bad_content_is_refused_and_the_draft_unchanged(app, marketer, make_partner):
    partner = make_partner(arrangement=False)
    marketer.post(f"/admin/partners/{partner.id}/arrangements/draft", {"source": "standard"})
    [before] = versions(app, partner.id)
    response = marketer.post(f"/admin/partners/{partner.id}/arrangements/1/edit", content_form(
        purposes=["categorise-retarget"], partner_duties="Be nice to people.",
        essence_fr="Trop court."))
    assert response.status_code == 422
    page = html.unescape(text_of(response))
    assert "Include forwarding leads to the partner" in page
    assert "State the partner's duty to act on objection and erasure notices." in page
    assert "Be nice to people." in page
    [after] = versions(app, partner.id)
    assert after.partner_duties == before.partner_duties
    assert after.purposes == before.purposes


def test_signing_in_the_future_is_refused(app, marketer, make_partner):
    partner = make_partner(arrangement=False)
    marketer.post(f"/admin/partners/{partner.id}/arrangements/draft", {"source": "standard"})
    later = (utcnow() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = marketer.post(f"/admin/partners/{partner.id}/arrangements/1/activate",
                             sign_form(signed_at=later))
    assert response.status_code == 422
    assert 'id="signed_at-error"' in response.get_data(as_text=True)
    assert "The signing time cannot be in the future." in text_of(response)
    missing = marketer.post(f"/admin/partners/{partner.id}/arrangements/1/activate",
                            sign_form(partner_signer=""))
    assert missing.status_code == 422
    assert 'value="Managing director"' in missing.get_data(as_text=True)
    [draft] = versions(app, partner.id)
    assert draft.status == "draft"


def test_privacy_officer_reviews_and_activates(app, privacy_officer, make_partner):
    partner = make_partner(arrangement=False)
    assert privacy_officer.get(f"/admin/partners/{partner.id}").status_code == 403
    assert privacy_officer.get("/admin/arrangements").status_code == 200
    assert privacy_officer.get(f"/admin/partners/{partner.id}/arrangements").status_code == 200
    assert privacy_officer.post(f"/admin/partners/{partner.id}/arrangements/draft",
                                {"source": "standard"}).status_code == 303
    assert privacy_officer.get(f"/admin/partners/{partner.id}/arrangements/1/review"
                               ).status_code == 200
    response = privacy_officer.post(f"/admin/partners/{partner.id}/arrangements/1/activate",
                                    sign_form(operator_signer_role="Privacy officer"))
    assert response.status_code == 303
    [signed] = versions(app, partner.id)
    assert (signed.status, signed.operator_signer_role) == ("active", "Privacy officer")


def test_arrangement_pages_need_a_session(app, client, make_partner):
    partner = make_partner()
    response = client.get(f"/admin/partners/{partner.id}/arrangements/1/review")
    assert response.status_code == 303
    assert "/admin/sign-in" in response.headers["Location"]


def test_a_version_cannot_be_put_in_force_in_the_past(app, marketer, make_partner):
    partner = make_partner()
    marketer.post(f"/admin/partners/{partner.id}/arrangements/draft", {"source": "current"})
    earlier = (utcnow() - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    answer = marketer.post(f"/admin/partners/{partner.id}/arrangements/2/activate",
                           sign_form(signed_at=earlier, effective_from=earlier))
    assert answer.status_code == 422
    assert "Choose now or a later time" in answer.get_data(as_text=True)
    assert [v.status for v in versions(app, partner.id)] == ["active", "draft"]
