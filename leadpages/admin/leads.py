"""Lead search across every partner and a lead's timeline (admins and the privacy officer).

Both read personal data, so each search and each view lands in the audit log: which filters a
search used (never what was typed in them), and which lead was opened. A search is sent by
POST, pages included, so that what was typed (an email address, a phone number, a name) never
appears in an address, a browser's history or a server's access log.
"""

from __future__ import annotations

from flask import abort, g, render_template, request
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from leadpages.admin.auth import staff_required
from leadpages.admin.blueprint import ID, bp, page_number
from leadpages.admin.privacy_forms import LeadSearchForm
from leadpages.audit import services as audit
from leadpages.extensions import db
from leadpages.leads import search, timeline
from leadpages.leads.models import Lead
from leadpages.objections import services as objections
from leadpages.partners.models import Partner
from leadpages.projects.models import Project
from leadpages.web.pagination import paginate
from leadpages.web.transactions import write_phase


def _search_form() -> LeadSearchForm:
    form = LeadSearchForm(request.form if request.method == "POST" else None)
    projects = db.session.scalars(select(Project).order_by(Project.slug))
    partners = db.session.scalars(select(Partner).order_by(Partner.legal_name))
    form.project.choices = [SelectChoice("", "—"),
                            *[SelectChoice(str(p.id), p.slug) for p in projects]]
    form.partner.choices = [SelectChoice("", "—"),
                            *[SelectChoice(str(p.id), p.legal_name) for p in partners]]
    return form


def _page() -> int:
    """The page asked for by the pager's buttons (part of the POST)."""
    try:
        number = int(request.form.get("page", 1))
    except ValueError:
        number = 1
    return min(max(number, 1), 100_000)


@bp.route("/leads", methods=["GET", "POST"])
@staff_required("leads")
def leads() -> tuple[str, int]:
    """Search leads of every partner by person, name, project, partner, status and date.

    GET shows the newest leads of all partners (`?page=`); the form searches by POST.
    """
    form = _search_form()
    number = _page() if request.method == "POST" else page_number()
    valid = form.validate() if request.method == "POST" else True
    if form.email.data or form.phone.data:
        # A person is found by the register key of what was typed: it must be an identifier.
        problems = objections.identifier_problems(form.email.data or None,
                                                  form.phone.data or None)
        for name, problem in problems.items():
            getattr(form, name).errors = [*getattr(form, name).errors, problem]
            valid = False
    if not valid:
        return render_template("admin/leads/search.html", form=form, page=None), 422
    filters = search.LeadFilters(
        email=form.email.data or None, phone=form.phone.data or None,
        name=form.name.data or None, project_id=form.project.data,
        partner_id=form.partner.data, status=form.status.data or None,
        created_from=form.created_from.data, created_to=form.created_to.data)
    write_phase()
    audit.record(db.session, g.staff, "lead.search", filters=filters.used(), page=number)
    db.session.commit()
    page = paginate(db.session, search.search_query(filters), number, per_page=50)
    return render_template("admin/leads/search.html", form=form, page=page,
                           searched=request.method == "POST"), 200


@bp.get(f"/leads/<{ID}:lead_id>")
@staff_required("leads")
def lead_show(lead_id: int) -> str:
    """One lead: what the person gave, and everything that happened to it since."""
    if db.session.get(Lead, lead_id) is None:
        abort(404)
    write_phase()
    audit.record(db.session, g.staff, "lead.view", f"lead:{lead_id}")
    db.session.commit()
    lead = db.session.get(Lead, lead_id)
    if lead is None:
        abort(404)
    events = timeline.timeline(db.session, lead)
    return render_template("admin/leads/show.html", lead=lead, events=events)
