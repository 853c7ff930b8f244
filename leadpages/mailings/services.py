"""Emails about similar projects: who may receive one, what it says, and sending it.

DESIGN.md section 7: these emails need the person's own opt-in (the form's unticked box), and
rule 5: the objection register is asked when the recipients are chosen and again right before
each single message, so an objection recorded while a mailing runs stops the next email. Rule 6:
a restricted or erased lead is never mailed.

A mailing goes through `create_mailing` (staff's choice, validated), `plan` (one read picks one
row per person, stored as queued recipients, with the exclusions counted per reason) and `send`
(re-check, hand over, record; paced; resumable). Each recipient row is claimed before its
message leaves and marked sent right after, each in its own committed transaction: a run that
dies never sends twice what it recorded, and a message whose fate is unknown (the run died
between the hand-over and the record) is marked failed rather than sent a second time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from leadpages.categories.models import lead_categories
from leadpages.db import begin_write, utcnow
from leadpages.i18n import LANGUAGES
from leadpages.leads.models import Lead
from leadpages.mail import transport
from leadpages.mailings.models import Mailing, MailingRecipient, mailing_categories
from leadpages.objections import links
from leadpages.objections import services as objections
from leadpages.projects.models import Category, Project, project_categories


class MailingError(ValueError):
    """A mailing that cannot be created, planned or sent as asked; says why and what to do.

    Its message is translatable: str(error) reads in the locale in force when it is shown
    (English in the commands and the worker's log). `field` names the input to fix, if any.
    """

    def __init__(self, message: object, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


#: The reason a claimed recipient carries while its message is being handed over.
SENDING = "sending"
#: A temporary SMTP failure leaves the recipient queued with a reason that starts so.
TEMPORARY = "temporary: "
#: What a run that finds a claim of a stopped run records, instead of sending it again.
INTERRUPTED = "interrupted while sending; not sent again, so that nobody gets it twice"

#: Why a planned person gets no email, checked right before each message (report keys
#: `skipped:<reason>`).
SKIP_REASONS = ("objected", "restricted", "erased", "opted-out", "not-categorised", "lead-gone",
                "already-lead")
#: Why a person of the source categories was not planned at all (report keys
#: `excluded:<reason>`), counted in this order: each person under the first that applies.
EXCLUSION_REASONS = ("objected", "restricted", "erased", "already-lead", "not-categorised",
                     "same-person")


# --- Creating and planning ----------------------------------------------------------------------


def create_mailing(session: Session, target_slug: str, category_codes: Iterable[str], by: str,
                   now: datetime | None = None) -> Mailing:
    """A draft mailing about the published project `target_slug` to people of these categories.

    Raises MailingError (nothing written) for an unknown or unpublished project, no or unknown
    categories, or no name of who asks. Flushes; the caller plans and commits.
    """
    by = (by or "").strip()
    if not by:
        raise MailingError(_l("say who creates the mailing (--by)"))
    codes = sorted({code.strip().lower() for code in category_codes if code and code.strip()})
    if not codes:
        raise MailingError(_l("give at least one source category"), "categories")
    begin_write(session)
    project = session.scalar(select(Project).where(Project.slug == target_slug))
    if project is None:
        raise MailingError(_l("there is no project %(slug)s", slug=repr(target_slug)), "target")
    if not project.is_published:
        raise MailingError(_l("project %(slug)s is %(status)s, not published: a mailing may "
                              "only point to a page that takes requests",
                              slug=repr(target_slug), status=project.status), "target")
    known = {c.code: c for c in session.scalars(select(Category).where(Category.code.in_(codes)))}
    unknown = [code for code in codes if code not in known]
    if unknown:
        listed = ", ".join(session.scalars(select(Category.code).order_by(Category.code)))
        if len(unknown) == 1:
            raise MailingError(_l("unknown category %(codes)s; the list is: %(listed)s",
                                  codes=unknown[0], listed=listed), "categories")
        raise MailingError(_l("unknown categories %(codes)s; the list is: %(listed)s",
                              codes=", ".join(unknown), listed=listed), "categories")
    mailing = Mailing(target_project=project, target_project_id=project.id, created_by=by,
                      created_at=now or utcnow(), status="draft", report={},
                      categories=[known[code] for code in codes])
    session.add(mailing)
    session.flush()
    return mailing


def _source_category_ids(mailing_id: int) -> Select[int]:
    return select(mailing_categories.c.category_id).where(
        mailing_categories.c.mailing_id == mailing_id)


def _lead_of_target(target_project_id: int) -> ColumnElement[bool]:
    """Over Lead: the person (same email or phone key) already has a lead for the target."""
    other = aliased(Lead)
    return exists().where(
        other.project_id == target_project_id,
        or_(other.email_key == Lead.email_key,
            Lead.phone_key.is_not(None) & (other.phone_key == Lead.phone_key)))


def _tagged(mailing_id: int) -> ColumnElement[bool]:
    """Over Lead: the lead carries one of the mailing's source categories now."""
    return exists().where(lead_categories.c.lead_id == Lead.id,
                          lead_categories.c.category_id.in_(_source_category_ids(mailing_id)))


def recipients_query(mailing: Mailing) -> Select[int, str | None, str | None]:
    """(lead id, email key, phone key) of every lead that may receive this mailing, newest first.

    A lead qualifies when it is opted in to these emails, is neither restricted nor erased,
    carries one of the source categories (so its project's, and only while categorising is
    allowed for it), its person is not in the register for marketing email (by email or phone,
    however written), and the person has no lead for the target project.
    """
    return (
        select(Lead.id, Lead.email_key, Lead.phone_key)
        .where(
            Lead.marketing_email_opt_in.is_(True),
            Lead.status == "new",
            Lead.email_key.is_not(None),
            Lead.project_id != mailing.target_project_id,
            _tagged(mailing.id),
            ~objections.lead_objected("marketing-email"),
            ~_lead_of_target(mailing.target_project_id),
        )
        .order_by(Lead.created_at.desc(), Lead.id.desc())
    )


def plan(session: Session, mailing: Mailing) -> int:
    """Queue one recipient per person for a draft mailing; how many were added.

    One read picks the eligible leads; the most recent lead of each person (same email key, or
    same phone key) gives the address, name and language. Running it again adds only people
    not yet planned. The report gets the planned total and the exclusions per reason. Flushes.
    """
    if mailing.status != "draft":
        raise MailingError(_l("mailing %(id)s is %(status)s; only a draft is planned",
                              id=mailing.id, status=mailing.status))
    begin_write(session)
    # People planned by an earlier run count as seen, so a re-run adds no second address of theirs.
    seen_emails: set[str] = set()
    seen_phones: set[str] = set()
    for planned_email, planned_phone in session.execute(
            select(MailingRecipient.email_key, MailingRecipient.phone_key)
            .where(MailingRecipient.mailing_id == mailing.id)):
        seen_emails.add(planned_email)
        if planned_phone:
            seen_phones.add(planned_phone)
    duplicates: set[str] = set()
    added = 0
    for lead_id, email_key, phone_key in session.execute(recipients_query(mailing)):
        if email_key is None or email_key in seen_emails:
            continue
        if phone_key is not None and phone_key in seen_phones:
            # Another address of the same person (same phone) is planned already; this
            # address is that person's too, whatever other phone an older lead gives.
            duplicates.add(email_key)
            seen_emails.add(email_key)
            continue
        seen_emails.add(email_key)
        if phone_key is not None:
            seen_phones.add(phone_key)
        session.add(MailingRecipient(mailing_id=mailing.id, lead_id=lead_id,
                                     email_key=email_key, phone_key=phone_key, status="queued"))
        added += 1
    session.flush()
    excluded = _exclusions(session, mailing)
    excluded["same-person"] = len(duplicates)
    report = {"planned": _count(session, mailing.id)}
    report.update({f"excluded:{reason}": n for reason, n in excluded.items() if n})
    mailing.report = report
    session.flush()
    return added


def _exclusions(session: Session, mailing: Mailing) -> dict[str, int]:
    """Persons of the source categories not planned, per first reason that applies.

    The population is every opted-in lead whose project is in a source category now or that
    carries one of them; a person counts once (by email key) and not at all once planned.
    """
    population = (
        Lead.marketing_email_opt_in.is_(True),
        Lead.project_id != mailing.target_project_id,
        or_(_tagged(mailing.id),
            exists().where(project_categories.c.project_id == Lead.project_id,
                           project_categories.c.category_id.in_(
                               _source_category_ids(mailing.id)))),
        Lead.email_key.not_in(select(MailingRecipient.email_key)
                              .where(MailingRecipient.mailing_id == mailing.id)),
    )
    objected = objections.lead_objected("marketing-email")
    in_target = _lead_of_target(mailing.target_project_id)
    conditions: dict[str, tuple[ColumnElement[bool], ...]] = {
        "objected": (objected,),
        "restricted": (~objected, Lead.status == "restricted"),
        "erased": (~objected, Lead.status == "erased"),
        "already-lead": (~objected, Lead.status == "new", in_target),
        "not-categorised": (~objected, Lead.status == "new", ~in_target, ~_tagged(mailing.id)),
    }
    counted: dict[str, int] = {}
    earlier: list[ColumnElement[bool]] = []
    for reason, condition in conditions.items():
        query = select(func.count(func.distinct(Lead.email_key))).where(*population, *condition)
        if earlier:
            # A person with leads under two reasons counts under the first only.
            query = query.where(Lead.email_key.not_in(
                select(Lead.email_key).where(*population, or_(*earlier))
                .correlate_except(Lead)))
        counted[reason] = int(session.scalar(query) or 0)
        earlier.append(_all(condition))
    return counted


def _all(conditions: Sequence[ColumnElement[bool]]) -> ColumnElement[bool]:
    result = conditions[0]
    for condition in conditions[1:]:
        result = result & condition
    return result


def _count(session: Session, mailing_id: int, status: str | None = None) -> int:
    query = select(func.count()).select_from(MailingRecipient).where(
        MailingRecipient.mailing_id == mailing_id)
    if status is not None:
        query = query.where(MailingRecipient.status == status)
    return int(session.scalar(query) or 0)


# --- The email ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Composed:
    """One recipient's email, rendered and ready for transport.build_message."""

    to: str
    lang: str
    subject: str
    text: str
    html: str
    headers: dict[str, str]
    one_click_url: str


def email_language(project: Project, wanted: str) -> str:
    """The language to write in: the person's, when the target's page exists in it."""
    available = [lang for lang in project.languages if lang in LANGUAGES and project.text(lang)]
    if wanted in available:
        return wanted
    return available[0] if available else wanted


def _title(project: Project, lang: str) -> str:
    text = project.text(lang) or (project.texts[0] if project.texts else None)
    return text.title if text else project.slug


def compose(mailing: Mailing, lead: Lead, keys: dict[str, str], lang: str | None = None
            ) -> Composed:
    """The email about the mailing's target for the person of `lead` (their language by default).

    Says why it comes (the request and the ticked box, with its date), who sends it (the
    operator) and carries the one-click objection link in the body and in the List-Unsubscribe
    headers. Nothing in it loads from anywhere: no images, no tracking.
    """
    project = mailing.target_project
    lang = email_language(project, lang or lead.language)
    text = project.text(lang)
    base = current_app.config["BASE_URL"]
    one_click = links.one_click_url(keys)
    with force_locale(lang):
        context: dict[str, Any] = {
            "lang": lang,
            "first_name": lead.first_name,
            "title": text.title if text else project.slug,
            "tagline": text.tagline if text else "",
            "city": project.city,
            "url": f"{base}/{lang}/p/{project.slug}?c=mailing-{mailing.id}",
            "source_title": _title(lead.project, lang),
            "asked_on": format_date(lead.created_at, "long"),
            "one_click_url": one_click,
        }
        subject = _("%(title)s in %(city)s: a project like the one you asked about",
                    title=context["title"], city=project.city)
        rendered_text = render_template("emails/mailing.txt", **context)
        rendered_html = render_template("emails/mailing.html", **context)
    return Composed(to=lead.email, lang=lang, subject=subject, text=rendered_text,
                    html=rendered_html, headers=links.list_unsubscribe_headers(keys),
                    one_click_url=one_click)


def _keys(recipient: MailingRecipient, lead: Lead | None) -> dict[str, str]:
    """The person's register keys: the lead's current ones, else those it was planned with."""
    email = (lead.email_key if lead else None) or recipient.email_key
    phone = (lead.phone_key if lead else None) or recipient.phone_key
    return {kind: key for kind, key in (("email", email), ("phone", phone)) if key}


def preview(session: Session, mailing: Mailing, lang: str | None = None) -> Composed:
    """The email as a recipient gets it, in `lang` if given, written for a made-up person.

    Never a planned recipient: whoever reads a preview sees no one's name or request, and holds
    no working objection link of anyone (its key names nobody).
    """
    sample = Lead(first_name="Jan", last_name="Janssens", email="jan@example.com",
                  language=lang or "en", project=mailing.target_project,
                  created_at=mailing.created_at)
    return compose(mailing, sample, {"email": "0" * 64}, lang)


# --- Sending ------------------------------------------------------------------------------------


@dataclass
class Pacer:
    """Spaces messages `60 / rate` seconds apart, with an injectable clock and sleep."""

    per_minute: int
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    next_at: float | None = None

    def wait(self) -> None:
        """Block until the next message may leave."""
        now = self.clock()
        if self.next_at is not None and now < self.next_at:
            self.sleep(self.next_at - now)
            now = self.next_at
        self.next_at = now + 60.0 / self.per_minute

    def after(self, last_sent: datetime | None, now: datetime) -> None:
        """Keep the pace from a message sent at `last_sent`, by this run or any other.

        Several workers take turns at a mailing; each has its own pacer, so the pace between
        them comes from the last message the database says was sent.
        """
        if last_sent is None:
            return
        wait = 60.0 / self.per_minute - (now - last_sent).total_seconds()
        if wait > 0:
            self.next_at = max(self.next_at or 0.0, self.clock() + wait)


@dataclass
class Progress:
    """What happened to one recipient during `send`, for the command's output."""

    recipient_id: int
    status: str
    reason: str | None = None


@dataclass
class SendResult:
    """The mailing's report after a run, and what this run did."""

    report: dict[str, int]
    done: list[Progress] = field(default_factory=list)

    @property
    def retry_later(self) -> int:
        """Recipients still queued (a temporary failure): the next `send` run tries them."""
        return self.report.get("queued:temporary-failure", 0) + self.report.get("queued", 0)


def send(session: Session, mailing: Mailing, config: dict[str, Any], *,
         sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic,
         progress: Callable[[Progress], None] | None = None, takeover: bool = False,
         now: Callable[[], datetime] = utcnow, pacer: Pacer | None = None,
         until: float | None = None) -> SendResult:
    """Send the mailing's queued emails, one by one, at MAILING_RATE_PER_MINUTE; the report.

    Only one run sends a mailing at a time: it is marked `sending` when a run starts and `sent`
    when it ends. A run that died leaves it `sending`; `takeover=True` resumes it (be sure the
    other run is gone), and its claimed-but-unrecorded recipients are marked failed, not sent
    again. Right before each message the register and the lead are checked again. A temporary
    SMTP failure leaves the recipient queued for the next run; a permanent one marks it failed.
    Commits after every recipient.

    The worker sends in slices: it passes its own `pacer` (the pace holds across its turns)
    and `until` (a time on the pacer's clock); the run stops before a message whose slot comes
    later, and a send asked for from the workspace (`request_send`) stays asked for.
    """
    mailing_id = mailing.id
    _start(session, mailing, takeover, now())
    pacer = pacer or Pacer(int(config["MAILING_RATE_PER_MINUTE"]), sleep=sleep, clock=clock)
    pacer.after(session.scalar(select(func.max(MailingRecipient.sent_at)).where(
        MailingRecipient.mailing_id == mailing_id)), now())
    result = SendResult(report={})
    stopped = False
    try:
        ids = list(session.scalars(
            select(MailingRecipient.id)
            .where(MailingRecipient.mailing_id == mailing_id,
                   MailingRecipient.status == "queued")
            .order_by(MailingRecipient.id)))
        for recipient_id in ids:
            if until is not None and pacer.next_at is not None and pacer.next_at > until:
                stopped = True
                break
            step = _send_one(session, mailing, recipient_id, config, pacer, now)
            if step is not None:
                result.done.append(step)
                if progress is not None:
                    progress(step)
    finally:
        session.rollback()
        result.report = _finish(session, mailing, now(), more=stopped)
    return result


#: The report key that asks `leadpages worker` to send the mailing (from the workspace); its
#: value is when it was asked (unix seconds). Cleared when a run has tried every recipient.
SEND_REQUESTED = "send-requested"


def request_send(session: Session, mailing: Mailing, now: datetime | None = None) -> int:
    """Ask the worker to send the mailing's queued emails in its turns; how many are queued.

    The web request never sends itself (sending is paced and takes long). Refused with
    MailingError when the mailing is being sent, already asked for, has nothing queued once
    sent, or its target is not published. Flushes; the caller commits.
    """
    begin_write(session)
    session.refresh(mailing)
    if mailing.status == "sending":
        raise MailingError(_l("the mailing is being sent now"))
    if is_send_requested(mailing):
        raise MailingError(_l("the mailing is already waiting for the worker"))
    project = session.get(Project, mailing.target_project_id)
    if project is None or not project.is_published:
        raise MailingError(_l("the target project is not published: the mailing is not sent"))
    queued = queued_count(session, mailing)
    if mailing.status == "sent" and not queued:
        raise MailingError(_l("every recipient has been handled: nothing is left to send"))
    moment = now or utcnow()
    mailing.report = {**(mailing.report or {}), SEND_REQUESTED: int(moment.timestamp())}
    session.flush()
    return queued


def is_send_requested(mailing: Mailing) -> bool:
    """Whether the mailing waits for the worker to send (or go on sending) it."""
    return SEND_REQUESTED in (mailing.report or {})


def drop_request(session: Session, mailing_id: int) -> None:
    """Take back a send request the worker cannot carry out (it logs why). Flushes.

    A mailing another run is sending keeps its request: that run (another worker's slice)
    carries it on.
    """
    begin_write(session)
    mailing = session.get(Mailing, mailing_id, populate_existing=True)
    if mailing is not None and mailing.status != "sending" and is_send_requested(mailing):
        mailing.report = {k: v for k, v in mailing.report.items() if k != SEND_REQUESTED}
        session.flush()


def next_requested(session: Session) -> Mailing | None:
    """The mailing the worker sends next: the oldest one asked for and not being sent."""
    has_queued = exists().where(MailingRecipient.mailing_id == Mailing.id,
                                MailingRecipient.status == "queued")
    for mailing in session.scalars(
            select(Mailing).where(or_(Mailing.status == "draft",
                                      (Mailing.status == "sent") & has_queued))
            .order_by(Mailing.id)):
        if is_send_requested(mailing):
            return mailing
    return None


#: A run that sent nothing for this long has stopped (a worker killed in the middle of a slice):
#: a slice lasts seconds, and even the slowest pace sends a message a minute.
STALLED_AFTER = timedelta(minutes=10)


def stalled_request(session: Session, now: datetime | None = None) -> Mailing | None:
    """A mailing asked for from the workspace whose run stopped mid-way, for the worker to resume.

    It is `sending`, and nothing of it was sent for STALLED_AFTER. Resuming takes it over
    (`send(..., takeover=True)`): a message claimed by the stopped run is marked interrupted,
    never sent twice.
    """
    last_sent = (select(func.max(MailingRecipient.sent_at))
                 .where(MailingRecipient.mailing_id == Mailing.id).scalar_subquery())
    quiet_since = (now or utcnow()) - STALLED_AFTER
    for mailing in session.scalars(
            select(Mailing).where(Mailing.status == "sending",
                                  func.coalesce(last_sent, Mailing.started_at) < quiet_since)
            .order_by(Mailing.id)):
        if is_send_requested(mailing):
            return mailing
    return None


def _start(session: Session, mailing: Mailing, takeover: bool, now: datetime) -> None:
    """Mark the mailing as being sent by this run, or refuse (another run has it). Commits."""
    begin_write(session)
    project = session.get(Project, mailing.target_project_id)
    if project is None or not project.is_published:
        session.rollback()
        raise MailingError(_l("the target project is %(status)s, not published: the mailing "
                              "is not sent", status=project.status if project else "gone"))
    allowed = ["draft", "sent", *(["sending"] if takeover else [])]
    claimed = session.execute(
        update(Mailing).where(Mailing.id == mailing.id, Mailing.status.in_(allowed))
        .values(status="sending", started_at=func.coalesce(Mailing.started_at, now))
        .execution_options(synchronize_session=False))
    if not getattr(claimed, "rowcount", 0):
        session.rollback()
        raise MailingError(_l(
            "mailing %(id)s is being sent by another run; if that run stopped (a crash, a "
            "closed terminal), resume with --takeover", id=mailing.id))
    # Claims of a run that stopped: the message may have left; never risk sending it twice.
    session.execute(
        update(MailingRecipient)
        .where(MailingRecipient.mailing_id == mailing.id, MailingRecipient.status == "queued",
               MailingRecipient.reason == SENDING)
        .values(status="failed", reason=INTERRUPTED)
        .execution_options(synchronize_session=False))
    session.commit()
    session.refresh(mailing)


def _send_one(session: Session, mailing: Mailing, recipient_id: int, config: dict[str, Any],
              pacer: Pacer, now: Callable[[], datetime]) -> Progress | None:
    """Claim, re-check, send and record one recipient; None when another run had it."""
    pacer.wait()
    begin_write(session)
    claimed = session.execute(
        update(MailingRecipient)
        .where(MailingRecipient.id == recipient_id, MailingRecipient.status == "queued",
               or_(MailingRecipient.reason.is_(None), MailingRecipient.reason != SENDING))
        .values(reason=SENDING)
        .execution_options(synchronize_session=False))
    if not getattr(claimed, "rowcount", 0):
        session.rollback()
        pacer.next_at = None  # nothing left; the slot is free for the next one
        return None
    recipient = session.get(MailingRecipient, recipient_id, populate_existing=True)
    if recipient is None:  # the mailing was deleted meanwhile
        session.rollback()
        return None
    lead = session.get(Lead, recipient.lead_id, populate_existing=True) \
        if recipient.lead_id else None
    reason = skip_reason(session, mailing, recipient, lead)
    if reason is not None or lead is None:
        recipient.status, recipient.reason = "skipped", reason or "lead-gone"
        session.commit()
        pacer.next_at = None
        return Progress(recipient_id, "skipped", recipient.reason)
    composed = compose(mailing, lead, _keys(recipient, lead))
    message = transport.build_message(
        sender=config["MAIL_FROM"], to=[composed.to], subject=composed.subject,
        text=composed.text, html=composed.html,
        headers={**composed.headers, "X-Leadpages-Mailing": str(mailing.id)},
        message_id=f"mailing-{mailing.id}-{recipient_id}")
    session.commit()  # the claim is durable before the message leaves
    try:
        transport.send(message, config)
    except transport.MailError as error:
        begin_write(session)
        if error.permanent:
            recipient.status, recipient.reason = "failed", f"permanent: {error}"[:500]
        else:
            recipient.status, recipient.reason = "queued", f"{TEMPORARY}{error}"[:500]
        session.commit()
        return Progress(recipient_id, recipient.status, recipient.reason)
    begin_write(session)
    recipient.status, recipient.reason, recipient.sent_at = "sent", None, now()
    session.commit()
    return Progress(recipient_id, "sent")


def skip_reason(session: Session, mailing: Mailing, recipient: MailingRecipient,
                lead: Lead | None) -> str | None:
    """Why this recipient must get no email now (register, lead state, opt-in), or None."""
    if lead is None:
        return "lead-gone"
    keys = {recipient.email_key, recipient.phone_key, lead.email_key, lead.phone_key}
    if objections.objected(session, keys, "marketing-email"):
        return "objected"
    if lead.status != "new":
        return lead.status if lead.status in SKIP_REASONS else "restricted"
    if not lead.marketing_email_opt_in:
        return "opted-out"
    if not session.scalar(select(exists().where(
            lead_categories.c.lead_id == lead.id,
            lead_categories.c.category_id.in_(_source_category_ids(mailing.id))))):
        # Untagged since planning: any objection (to ads too) stops categorising, and the
        # categories are why this person was chosen; or the project changed category.
        return "not-categorised"
    present = [k for k in keys if k]
    if session.scalar(select(exists().where(
            Lead.project_id == mailing.target_project_id,
            or_(Lead.email_key.in_(present), Lead.phone_key.in_(present))))):
        return "already-lead"
    return None


def _finish(session: Session, mailing: Mailing, now: datetime, more: bool = False
            ) -> dict[str, int]:
    """Store the report and mark the mailing sent (queued ones stay for the next run).

    `more`: the run stopped at the end of its slice; a send request stays for the next one.
    """
    begin_write(session)
    current = session.get(Mailing, mailing.id, populate_existing=True)
    if current is None:  # deleted while it was being sent: nothing to record on
        session.rollback()
        return {}
    requested = (current.report or {}).get(SEND_REQUESTED)
    report = report_counts(session, current)
    if more and requested is not None:
        report[SEND_REQUESTED] = requested
    current.report = report
    current.status = "sent"
    current.finished_at = now
    session.commit()
    return report


def report_counts(session: Session, mailing: Mailing) -> dict[str, int]:
    """The plan's counts with the recipients' present state: sent, skipped:<reason>, ..."""
    report = {k: v for k, v in (mailing.report or {}).items()
              if k == "planned" or k.startswith("excluded:")}
    rows = session.execute(
        select(MailingRecipient.status, MailingRecipient.reason, func.count())
        .where(MailingRecipient.mailing_id == mailing.id)
        .group_by(MailingRecipient.status, MailingRecipient.reason))
    for status, reason, count in rows:
        if status == "skipped":
            key = f"skipped:{reason}"
        elif status == "queued" and reason and reason.startswith(TEMPORARY):
            key = "queued:temporary-failure"
        else:
            key = status
        report[key] = report.get(key, 0) + int(count)
    return dict(sorted(report.items()))


def queued_count(session: Session, mailing: Mailing) -> int:
    """How many recipients wait for a message (planned, or after a temporary failure)."""
    return _count(session, mailing.id, "queued")


def list_mailings(session: Session, limit: int = 50) -> list[Mailing]:
    """The newest mailings first."""
    return list(session.scalars(select(Mailing).order_by(Mailing.id.desc()).limit(limit)))
