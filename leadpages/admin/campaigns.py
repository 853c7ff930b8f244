"""Campaigns (their tracking links and ad material) and results (visits, leads, deliveries)."""

from __future__ import annotations

from typing import Any

from flask import (
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from leadpages.admin.auth import staff_required
from leadpages.admin.blueprint import ID, bp, id_arg
from leadpages.admin.campaign_forms import CHANNEL_LABELS, CampaignForm
from leadpages.audit import services as audit
from leadpages.campaigns import chart, creatives, results
from leadpages.campaigns import services as campaigns
from leadpages.campaigns.models import Campaign
from leadpages.campaigns.services import CampaignError
from leadpages.extensions import db
from leadpages.projects.models import Project
from leadpages.web.transactions import write_phase


def project_label(project: Project) -> str:
    """A project's name for staff: its title in the workspace's language, else any, and slug."""
    page = project.text(str(get_locale() or "en")) or (project.texts[0] if project.texts
                                                        else None)
    return f"{page.title} ({project.slug})" if page else project.slug


def _projects() -> list[Project]:
    return list(db.session.scalars(select(Project).order_by(Project.id)))


def _campaign(campaign_id: int) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        abort(404)
    return campaign


def _apply(form: CampaignForm, error: CampaignError) -> None:
    target = getattr(form, error.field, None) or form.name
    target.errors = [str(error)]


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {"CHANNEL_LABELS": CHANNEL_LABELS, "project_label": project_label}


@bp.get("/campaigns", endpoint="campaigns")
@staff_required("campaigns")
def campaigns_list_view() -> str:
    """Every campaign, newest first, of one project or all."""
    project_id = request.args.get("project", type=int)
    projects = _projects()
    if project_id not in {p.id for p in projects}:
        project_id = None
    return render_template("admin/campaigns/list.html", projects=projects,
                           project_id=project_id,
                           campaigns=campaigns.list_campaigns(db.session, project_id))


@bp.route("/campaigns/new", methods=["GET", "POST"])
@staff_required("campaigns")
def campaign_new() -> BaseResponse | tuple[str, int]:
    """A new campaign of a project: its tracking code is made for it."""
    projects = _projects()
    form = CampaignForm()
    form.project_id.choices = [(p.id, project_label(p)) for p in projects]
    if request.method == "GET":
        chosen = request.args.get("project", type=int)
        if chosen is not None:
            form.project_id.data = chosen
    status = 200
    if request.method == "POST":
        project = db.session.get(Project, form.project_id.data or 0) if form.validate() \
            else None
        if project is not None:
            data = form.to_input()
            try:
                campaigns.check(data)
            except CampaignError as error:
                _apply(form, error)
            else:
                write_phase()
                project = db.session.get(Project, project.id)
                if project is None:  # deleted meanwhile
                    abort(404)
                campaign = campaigns.create_campaign(db.session, project, data,
                                                     created_by_id=g.staff.id)
                audit.record(db.session, g.staff, "campaign.create", f"campaign:{campaign.id}",
                             project=project.slug, channel=campaign.channel)
                db.session.commit()
                flash(_l("Campaign “%(name)s” created. Its tracking links are below.",
                         name=campaign.name), "info")
                return redirect(url_for("admin.campaign_show", campaign_id=campaign.id), 303)
        status = 422
    return render_template("admin/campaigns/form.html", form=form, campaign=None), status


@bp.route(f"/campaigns/<{ID}:campaign_id>/edit", methods=["GET", "POST"])
@staff_required("campaigns")
def campaign_edit(campaign_id: int) -> BaseResponse | tuple[str, int]:
    """Change a campaign's name, channel, dates or UTM values (its code stays)."""
    campaign = _campaign(campaign_id)
    form = CampaignForm(obj=campaign)
    # The project of a campaign does not change: its links are out already.
    form.project_id.choices = [(campaign.project_id, project_label(campaign.project))]
    form.project_id.data = campaign.project_id
    if request.method == "GET":
        # Only real overrides are shown: a value equal to the default follows the channel and
        # name when they change.
        source, medium = campaigns.UTM_DEFAULTS[campaign.channel]
        for field, default in ((form.utm_source, source), (form.utm_medium, medium),
                               (form.utm_campaign, campaigns.slugify(campaign.name))):
            if field.data == default:
                field.data = ""
    status = 200
    if request.method == "POST":
        if form.validate():
            data = form.to_input()
            try:
                campaigns.check(data)
            except CampaignError as error:
                _apply(form, error)
            else:
                write_phase(campaign)
                campaigns.update_campaign(db.session, campaign, data)
                audit.record(db.session, g.staff, "campaign.update", f"campaign:{campaign.id}")
                db.session.commit()
                flash(_l("Campaign “%(name)s” saved.", name=campaign.name), "info")
                return redirect(url_for("admin.campaign_show", campaign_id=campaign.id), 303)
        status = 422
    return render_template("admin/campaigns/form.html", form=form, campaign=campaign), status


@bp.get(f"/campaigns/<{ID}:campaign_id>")
@staff_required("campaigns")
def campaign_show(campaign_id: int) -> str:
    """A campaign's tracking links, creatives and ad texts."""
    campaign = _campaign(campaign_id)
    upload_path = current_app.config["UPLOAD_PATH"]
    return render_template(
        "admin/campaigns/show.html", campaign=campaign, links=creatives.links(campaign),
        images=creatives.creatives(upload_path, campaign.project),
        texts=creatives.ad_texts(campaign.project),
    )


@bp.get(f"/campaigns/<{ID}:campaign_id>/creatives/"
        "<any(square, landscape, vertical):fmt>-<int(min=1, max=99):number>.jpg")
@staff_required("campaigns")
def campaign_creative(campaign_id: int, fmt: str, number: int) -> Response:
    """One creative image, rendered the first time and kept under creatives/<campaign id>/."""
    campaign = _campaign(campaign_id)
    upload_path = current_app.config["UPLOAD_PATH"]
    creative = creatives.find_creative(upload_path, campaign.project, fmt, number)
    if creative is None:
        abort(404)
    path = creatives.cached_file(upload_path, campaign.id, creative)
    return send_file(path, mimetype="image/jpeg", download_name=f"{campaign.code}-{creative.name}")


@bp.get(f"/campaigns/<{ID}:campaign_id>/bundle.zip")
@staff_required("campaigns")
def campaign_bundle(campaign_id: int) -> Response:
    """The campaign's creatives, texts, README and manifest as one ZIP."""
    campaign = _campaign(campaign_id)
    bundle = creatives.build_bundle(current_app.config["UPLOAD_PATH"], campaign)
    # send_file closes the temporary file (and so deletes it) once the response is sent.
    return send_file(bundle.file, mimetype="application/zip", as_attachment=True,
                     download_name=bundle.filename)


def _results_request(campaign: Campaign | None) -> tuple[dict[str, Any], int]:
    """What the results page shows for this request's project, campaign and period."""
    projects = _projects()
    if campaign is not None:
        project: Project | None = campaign.project
    else:
        wanted = request.args.get("project", type=int)
        project = next((p for p in projects if p.id == wanted), None)
        if project is None:
            project = results.default_project(db.session)
    days = request.args.get("days", type=int)
    start, end = request.args.get("from", ""), request.args.get("to", "")
    context: dict[str, Any] = {"projects": projects, "project": project, "campaign": campaign,
                               "presets": results.PRESETS, "start": start, "end": end,
                               "error": None, "result": None}
    try:
        if days in results.PRESETS and not (start or end):
            period = results.last_days(days)
        else:
            period = results.parse_period(start, end)
    except results.PeriodError as error:
        context["error"] = str(error)
        return context, 422
    context.update(start=period.start.isoformat(), end=period.end.isoformat(), period=period)
    if project is not None:
        context["result"] = results.results(db.session, project, period, campaign)
    return context, 200


def _chart(result: results.Results) -> Any:
    counts = [(day, leads) for day, _visits, leads in result.days]
    highest = max((count for _day, count in counts), default=0)
    return chart.bar_chart(
        counts, str(_l("Leads per day")),
        str(_l("Leads per day from %(start)s to %(end)s: %(total)d in all, at most %(max)d "
               "on one day.", start=result.period.start.isoformat(),
               end=result.period.end.isoformat(), total=result.leads, max=highest)))


def _results_page(campaign: Campaign | None) -> tuple[str, int]:
    context, status = _results_request(campaign)
    result = context["result"]
    return render_template("admin/results/index.html",
                           chart=_chart(result) if result else None, **context), status


@bp.get("/results", endpoint="results")
@staff_required("results")
def results_view() -> tuple[str, int]:
    """Visits, leads, conversion and delivery of a project over a period."""
    return _results_page(None)


@bp.get(f"/campaigns/<{ID}:campaign_id>/results")
@staff_required("results")
def campaign_results(campaign_id: int) -> tuple[str, int]:
    """The results page for one campaign."""
    return _results_page(_campaign(campaign_id))


@bp.get("/results/<any(days, campaigns):kind>.csv")
@staff_required("results")
def results_csv(kind: str) -> Response | tuple[str, int]:
    """The figures per day, or the per-campaign table, as CSV."""
    campaign_id = id_arg("campaign")
    campaign = _campaign(campaign_id) if campaign_id else None
    context, status = _results_request(campaign)
    result: results.Results | None = context["result"]
    if result is None:
        if status == 200:
            abort(404)
        return render_template("admin/results/index.html", chart=None, **context), status
    body = results.days_csv(result) if kind == "days" else results.campaigns_csv(result)
    scope = result.campaign.code if result.campaign else result.project.slug
    name = f"results-{kind}-{scope}-{result.period.start}-{result.period.end}.csv"
    return Response("\ufeff" + body, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
