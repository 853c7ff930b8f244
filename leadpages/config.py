"""Settings: embedded defaults, `LEADPAGES_*` environment variables, and their checks.

Every setting is declared once below with its parser, its default and a line of help. The README's
configuration table is generated from the same list (`leadpages settings`), so the two cannot drift.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from leadpages.i18n import LANGUAGES

PREFIX = "LEADPAGES_"
ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENTS = ("development", "production", "test")
AUDIENCE_BASES = ("legitimate-interest", "consent")


class ConfigError(Exception):
    """One or more settings are missing or malformed; the message names each and its fix."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


# Parsers raise ValueError with a sentence that says what a good value looks like.


def _text(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be empty")
    return value


def _optional_text(value: str) -> str:
    return value.strip()


def _choice(*choices: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        value = value.strip().lower()
        if value not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}")
        return value

    return parse


def _int(low: int, high: int) -> Callable[[str], int]:
    def parse(value: str) -> int:
        try:
            number = int(value.strip())
        except ValueError:
            raise ValueError(f"must be a whole number from {low} to {high}") from None
        if not low <= number <= high:
            raise ValueError(f"must be a whole number from {low} to {high}")
        return number

    return parse


def _float(low: float, high: float) -> Callable[[str], float]:
    def parse(value: str) -> float:
        try:
            number = float(value.strip())
        except ValueError:
            raise ValueError(f"must be a number from {low:g} to {high:g}") from None
        if not low <= number <= high:
            raise ValueError(f"must be a number from {low:g} to {high:g}")
        return number

    return parse


def _bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError("must be true or false")


def _database_url(value: str) -> str:
    value = value.strip()
    if not value.startswith(("sqlite://", "postgresql://", "postgresql+psycopg://")):
        raise ValueError(
            "must be a SQLAlchemy URL starting with sqlite:/// or postgresql+psycopg://"
        )
    if value.startswith("postgresql://"):
        # psycopg 3 is the driver we install; the bare scheme would ask for psycopg2.
        value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
    return value


def _url(value: str) -> str:
    value = value.strip().rstrip("/")
    if not value.startswith(("http://", "https://")):
        raise ValueError("must be an absolute http:// or https:// address")
    return value


def _storage_url(value: str) -> str:
    value = value.strip()
    if not value.startswith(("memory://", "redis://", "rediss://")):
        raise ValueError("must be memory:// or a redis:// address")
    return value


def _rate(value: str) -> str:
    from limits import parse_many

    try:
        parse_many(value)
    except ValueError:
        raise ValueError('must be a rate such as "5 per minute; 30 per hour"') from None
    return value.strip()


def _email(value: str) -> str:
    from email_validator import EmailNotValidError, validate_email

    value = value.strip()
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        raise ValueError("must be an email address such as privacy@example.com") from None
    return value


def _sender(value: str) -> str:
    from email.utils import parseaddr

    _name, address = parseaddr(value.strip())
    try:
        _email(address)
    except ValueError:
        raise ValueError('must be an address, optionally with a name: "Leadpages '
                         '<leads@example.com>"') from None
    return value.strip()


def _optional_email(value: str) -> str:
    return _email(value) if value.strip() else ""


def _region(value: str) -> str:
    value = value.strip().upper()
    if len(value) != 2 or not value.isalpha():
        raise ValueError("must be a two-letter ISO country code such as BE")
    return value


@dataclass(frozen=True)
class Setting:
    """One `LEADPAGES_*` setting: how to parse it, its default and what it is for."""

    name: str
    parse: Callable[[str], Any]
    default: str | None
    help: str
    #: Required (no usable default) when running in production.
    production_required: bool = False


SETTINGS: tuple[Setting, ...] = (
    Setting("ENV", _choice(*ENVIRONMENTS), "development",
            "development, production or test; production enforces the required settings."),
    Setting("INSTANCE_PATH", _text, str(ROOT / "instance"),
            "Folder for the SQLite database, the generated secret key and uploads."),
    Setting("SECRET_KEY", _text, None,
            "Signs sessions and form tokens. Generated once into the instance folder in "
            "development; required (32+ characters) in production.",
            production_required=True),
    Setting("DATABASE_URL", _database_url, None,
            "SQLAlchemy URL. Default: SQLite file `leadpages.sqlite3` in the instance folder. "
            "PostgreSQL: postgresql+psycopg://user@host/db."),
    Setting("BASE_URL", _url, "http://127.0.0.1:8000",
            "Public address of the site, used in links that leave the site (emails, exports)."),
    Setting("DEFAULT_LANGUAGE", _choice(*LANGUAGES), "en",
            "Language used when the browser asks for none of nl, fr, en."),
    Setting("AUDIENCE_BASIS", _choice(*AUDIENCE_BASES), "legitimate-interest",
            "Legal basis for categorising and ad audiences: the form offers an objection box "
            "(legitimate-interest) or a consent box (consent)."),
    Setting("REGISTER_KEY", _text, None,
            "Key of the keyed hashes (HMAC-SHA256) under which the objection register and the "
            "one-click objection links hold identifiers. Generated once into the instance folder "
            "in development; required (32+ characters) in production, and never changed after.",
            production_required=True),
    Setting("AUDIENCE_PATH", _text, None,
            "Folder for audience upload and removal files. Default: `audiences/` in the instance "
            "folder."),
    Setting("META_ACCESS_TOKEN", _optional_text, "",
            "Token for Meta's custom audience API. Empty (the default): audiences are written "
            "as files only, never uploaded."),
    Setting("META_API_URL", _url, "https://graph.facebook.com/v21.0",
            "Meta's Graph API address for custom audience uploads."),
    Setting("MAILING_RATE_PER_MINUTE", _int(1, 6000), "60",
            "Emails about similar projects sent per minute at most."),
    Setting("PHONE_REGION", _region, "BE",
            "Country assumed for phone numbers written without an international prefix."),
    Setting("EMAIL_CHECK_DELIVERABILITY", _bool, "false",
            "Look up the mail domain in DNS when validating an email address."),
    Setting("FORM_MIN_SECONDS", _float(0, 120), "3",
            "A form sent sooner than this after the page was served is treated as automated."),
    Setting("DUPLICATE_WINDOW_DAYS", _int(0, 365), "30",
            "A second submission by the same email or phone for the same project within this "
            "many days updates the first lead instead of creating one."),
    Setting("RATELIMIT_LEADS", _rate, "5 per minute; 30 per hour",
            "Form submissions allowed per client address."),
    Setting("RATELIMIT_API", _rate, "120 per minute", "API calls allowed per API key."),
    Setting("RATELIMIT_ADMIN_SIGN_IN", _rate, "10 per 15 minutes",
            "Failed staff workspace sign-ins (password or code) allowed per client address."),
    Setting("RATELIMIT_PORTAL_SIGN_IN", _rate, "10 per 15 minutes",
            "Failed partner portal sign-ins allowed per client address (besides the lock of an "
            "account after 5 failures)."),
    Setting("RATELIMIT_PORTAL_FORGOT", _rate, "5 per 15 minutes",
            "Password-reset requests allowed per client address."),
    Setting("RATELIMIT_STORAGE_URL", _storage_url, "memory://",
            "Where rate-limit counters live: memory:// (one process) or redis://host:6379/0 "
            "(shared by every web host)."),
    Setting("TRUSTED_PROXIES", _int(0, 5), "0",
            "How many reverse proxies in front of the app set X-Forwarded-For and "
            "X-Forwarded-Proto."),
    Setting("MAX_REQUEST_BYTES", _int(1024, 50_000_000), "65536",
            "Largest request body accepted on public pages."),
    Setting("PAGE_CACHE_SECONDS", _float(0, 3600), "10",
            "How long a rendered landing page is reused by a web process; 0 turns caching off."),
    Setting("VISIT_FLUSH_SECONDS", _float(0, 600), "5",
            "How often each web process writes its anonymous visit counts to the database; "
            "0 writes on every visit."),
    Setting("IP_RETENTION_DAYS", _int(1, 365), "30",
            "How long a lead's source IP address is kept for abuse handling and proof."),
    Setting("UPLOAD_PATH", _text, None,
            "Folder for photos and logos (shared storage with several web hosts). Default: "
            "`uploads` in the instance folder."),
    Setting("WEBHOOK_ALLOW_LOOPBACK", _bool, "false",
            "Allow webhook addresses on this machine (127.0.0.1), for development and tests. "
            "Private and other non-public addresses are always refused."),
    Setting("WEBHOOK_TIMEOUT_SECONDS", _float(1, 60), "10",
            "How long the worker waits for a partner's webhook to answer."),
    Setting("DELIVERY_RETRY_HOURS", _float(0.01, 720), "72",
            "How long a failing delivery is retried before it becomes a dead letter."),
    Setting("ALERT_EMAIL", _optional_email, "",
            "Who is emailed when a delivery becomes a dead letter (empty: logged only)."),
    Setting("WORKER_POLL_SECONDS", _float(0.05, 60), "0.5",
            "Longest pause between the worker's looks for due deliveries (PostgreSQL also "
            "wakes it at once when a lead is committed)."),
    Setting("WORKER_LEASE_SECONDS", _float(1, 3600), "90",
            "How long a worker's claim on a message lasts; a crashed worker's messages are sent "
            "again after it. Keep it above the webhook timeout."),
    Setting("SMTP_HOST", _optional_text, "",
            "Mail server for email delivery; empty writes each message as an .eml file to "
            "`mail/` in the instance folder."),
    Setting("SMTP_PORT", _int(1, 65535), "587", "Mail server port."),
    Setting("SMTP_SECURITY", _choice("starttls", "tls", "none"), "starttls",
            "starttls (port 587), tls (port 465) or none (local relays and tests only)."),
    Setting("SMTP_USERNAME", _optional_text, "", "Mail server user name, if it asks for one."),
    Setting("SMTP_PASSWORD", _optional_text, "", "Mail server password."),
    Setting("MAIL_FROM", _sender, "Leadpages <leads@leadpages.example>",
            "Sender of every email the platform sends."),
    Setting("PORTAL_SESSION_HOURS", _float(0.1, 720), "8",
            "A partner portal sign-in ends after this many hours."),
    Setting("ADMIN_SESSION_HOURS", _float(0.1, 24), "8",
            "A staff workspace sign-in ends after this many hours."),
    Setting("ADMIN_IDLE_MINUTES", _int(1, 480), "30",
            "A staff workspace session ends after this many minutes without a request."),
    Setting("OPERATOR_NAME", _text, "Leadpages Demo BV",
            "The operator's legal name, shown as controller.", production_required=True),
    Setting("OPERATOR_ENTERPRISE_NUMBER", _text, "BE 0123.456.789",
            "The operator's enterprise (company) number.", production_required=True),
    Setting("OPERATOR_ADDRESS", _text, "Voorbeeldstraat 1, 9000 Gent, Belgium",
            "The operator's registered address.", production_required=True),
    Setting("OPERATOR_PRIVACY_EMAIL", _email, "privacy@leadpages.example",
            "Where people send privacy questions and requests.", production_required=True),
    Setting("SUPERVISORY_AUTHORITY", _text, "Gegevensbeschermingsautoriteit / Autorité de "
            "protection des données, Drukpersstraat 35, 1000 Brussel",
            "The data-protection authority people may complain to."),
    Setting("SUPERVISORY_AUTHORITY_URL", _url, "https://www.dataprotectionauthority.be",
            "The authority's website."),
)


def load(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Read every setting from `environ`, returning parsed values or raising ConfigError."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    explicit: set[str] = set()
    problems: list[str] = []
    for setting in SETTINGS:
        raw = environ.get(PREFIX + setting.name)
        if is_set := raw is not None and raw.strip() != "":
            explicit.add(setting.name)
        source = raw if is_set else setting.default
        if source is None:
            values[setting.name] = None
            continue
        try:
            values[setting.name] = setting.parse(source)
        except ValueError as error:
            problems.append(
                f"{PREFIX}{setting.name}={raw!r} {error}. Fix the variable or unset it"
                + (f" to use the default {setting.default!r}." if setting.default else ".")
            )
    if problems:
        raise ConfigError(problems)
    values["_explicit"] = explicit
    return values


def finish(values: dict[str, Any]) -> dict[str, Any]:
    """Fill derived defaults and enforce what production needs; raise ConfigError if unmet."""
    explicit: set[str] = values.pop("_explicit", set())
    problems: list[str] = []
    instance = Path(values["INSTANCE_PATH"]).expanduser().resolve()
    values["INSTANCE_PATH"] = str(instance)
    if not values.get("DATABASE_URL"):
        values["DATABASE_URL"] = f"sqlite:///{instance / 'leadpages.sqlite3'}"
    if not values.get("UPLOAD_PATH"):
        values["UPLOAD_PATH"] = str(instance / "uploads")
    if not values.get("AUDIENCE_PATH"):
        values["AUDIENCE_PATH"] = str(instance / "audiences")

    production = values["ENV"] == "production"
    if production:
        for setting in SETTINGS:
            if setting.production_required and setting.name not in explicit:
                problems.append(
                    f"{PREFIX}{setting.name} is required when {PREFIX}ENV=production: "
                    f"set it to {setting.help[0].lower() + setting.help[1:]}"
                )
        for name in ("SECRET_KEY", "REGISTER_KEY"):
            secret = values.get(name)
            if secret and len(secret) < 32:
                problems.append(
                    f"{PREFIX}{name} is too short ({len(secret)} characters): use at least 32, "
                    "for example the output of "
                    'python -c "import secrets; print(secrets.token_hex(32))".'
                )
        if values["DATABASE_URL"].startswith("sqlite") and "DATABASE_URL" not in explicit:
            problems.append(
                f"{PREFIX}DATABASE_URL is required when {PREFIX}ENV=production: set it to the "
                "PostgreSQL database, e.g. postgresql+psycopg://leadpages@db.internal/leadpages."
            )
    else:
        if not values.get("SECRET_KEY"):
            values["SECRET_KEY"] = _development_secret(instance, "secret_key")
        if not values.get("REGISTER_KEY"):
            values["REGISTER_KEY"] = _development_secret(instance, "register_key")
    if values["WORKER_LEASE_SECONDS"] <= values["WEBHOOK_TIMEOUT_SECONDS"]:
        problems.append(
            f"{PREFIX}WORKER_LEASE_SECONDS ({values['WORKER_LEASE_SECONDS']:g}) must be longer "
            f"than {PREFIX}WEBHOOK_TIMEOUT_SECONDS ({values['WEBHOOK_TIMEOUT_SECONDS']:g}), or "
            "a slow send could be taken over by another worker: raise the first or lower the "
            "second.")
    if problems:
        raise ConfigError(problems)
    return values


def _development_secret(instance: Path, name: str) -> str:
    """Generate a development key once and keep it in the instance folder under `name`."""
    path = instance / name
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    instance.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_hex(32)
    # O_EXCL: when two processes start at once, the first writer wins and both read its key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(secret)
    return secret


def settings_table() -> str:
    """The Markdown table of every setting, for the README."""
    lines = ["| variable | default | what it does |", "|---|---|---|"]
    for setting in SETTINGS:
        default = f"`{setting.default}`" if setting.default else "(see text)"
        if setting.name == "INSTANCE_PATH":
            default = "`instance/` in the project folder"
        lines.append(f"| `{PREFIX}{setting.name}` | {default} | {setting.help} |")
    return "\n".join(lines)
