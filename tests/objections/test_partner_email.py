"""`lead.objected` by email: the partner reads which lead, and what it must stop now."""

from __future__ import annotations

from typing import Any


def test_partner_gets_an_objection_email_naming_the_lead_only(
        client: Any, make_partner: Any, make_project: Any, make_lead: Any, sent_mail: Any,
        deliveries: Any) -> None:
    partner = make_partner(email_recipients=["sales@objected-partner.example"])
    project = make_project(partner=partner)
    lead = make_lead(project, email="eva.objects@example.com", phone="+32470999501",
                     first_name="Eva")
    sent_mail("sales@objected-partner.example")  # the lead itself goes first

    assert client.post("/en/object", data={"email": "eva.objects@example.com",
                                           "scope": "marketing-email"}).status_code == 303
    [message] = [message for message in sent_mail("sales@objected-partner.example")
                 if message["Subject"].startswith("Objection")]

    assert message["Subject"] == (
        f"Objection: stop direct marketing to the person of lead [{lead.public_id[:8]}]")
    assert message["Reply-To"] is None
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for body in (text, html):
        assert lead.public_id in body
        assert project.slug in body
        assert "emails about similar projects" in body
        assert "take them off your mailing lists" in body
        assert "ad audiences" not in body  # this objection is about emails only
        # The person's data is not sent again.
        for personal in ("eva.objects", "Eva", "470999501"):
            assert personal not in body
    assert "<img" not in html
    assert {row.status for row in deliveries("lead.objected")} == {"delivered"}
