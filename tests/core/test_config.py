"""Settings: defaults, environment variables, and clear refusals of bad values."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import TEST_SECRET

from leadpages import config as settings
from leadpages import create_app
from leadpages.config import ConfigError


def load(environ: dict[str, str]) -> dict:
    return settings.finish(settings.load(environ))


def test_defaults_need_nothing(tmp_path: Path) -> None:
    values = load({"LEADPAGES_INSTANCE_PATH": str(tmp_path)})
    assert values["DATABASE_URL"] == f"sqlite:///{tmp_path / 'leadpages.sqlite3'}"
    assert values["UPLOAD_PATH"] == str(tmp_path / "uploads")
    assert values["AUDIENCE_BASIS"] == "legitimate-interest"
    assert values["FORM_MIN_SECONDS"] == 3
    assert values["RATELIMIT_STORAGE_URL"] == "memory://"


def test_development_secret_is_generated_once_and_kept(tmp_path: Path) -> None:
    first = load({"LEADPAGES_INSTANCE_PATH": str(tmp_path)})["SECRET_KEY"]
    second = load({"LEADPAGES_INSTANCE_PATH": str(tmp_path)})["SECRET_KEY"]
    assert len(first) == 64
    assert first == second
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("LEADPAGES_AUDIENCE_BASIS", "maybe", "must be one of legitimate-interest, consent"),
        ("LEADPAGES_FORM_MIN_SECONDS", "soon", "must be a number from 0 to 120"),
        ("LEADPAGES_DUPLICATE_WINDOW_DAYS", "-1", "whole number from 0 to 365"),
        ("LEADPAGES_DATABASE_URL", "mysql://x", "must be a SQLAlchemy URL"),
        ("LEADPAGES_RATELIMIT_LEADS", "lots", "must be a rate"),
        ("LEADPAGES_RATELIMIT_STORAGE_URL", "memcached://x", "memory:// or a redis://"),
        ("LEADPAGES_EMAIL_CHECK_DELIVERABILITY", "perhaps", "must be true or false"),
        ("LEADPAGES_PHONE_REGION", "BEL", "two-letter ISO country code"),
        ("LEADPAGES_BASE_URL", "example.com", "absolute http:// or https://"),
        ("LEADPAGES_DEFAULT_LANGUAGE", "de", "must be one of nl, fr, en"),
        ("LEADPAGES_MAIL_FROM", "Leadpages <nobody>", "optionally with a name"),
        ("LEADPAGES_ALERT_EMAIL", "ops@", "must be an email address"),
    ],
)
def test_bad_value_names_the_setting_and_the_fix(tmp_path: Path, name: str, value: str,
                                                 expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load({"LEADPAGES_INSTANCE_PATH": str(tmp_path), name: value})
    message = str(caught.value)
    assert name in message
    assert expected in message
    assert "Fix the variable or unset it" in message


def test_every_bad_setting_is_reported_at_once(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load({"LEADPAGES_ENV": "staging", "LEADPAGES_FORM_MIN_SECONDS": "x"})
    assert len(caught.value.problems) == 2


def test_production_requires_secret_database_and_operator(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load({"LEADPAGES_ENV": "production", "LEADPAGES_INSTANCE_PATH": str(tmp_path)})
    message = str(caught.value)
    for name in ("SECRET_KEY", "REGISTER_KEY", "DATABASE_URL", "OPERATOR_NAME",
                 "OPERATOR_PRIVACY_EMAIL"):
        assert f"LEADPAGES_{name} is required when LEADPAGES_ENV=production" in message
    assert not (tmp_path / "secret_key").exists()
    assert not (tmp_path / "register_key").exists()


def test_production_refuses_a_short_secret(tmp_path: Path) -> None:
    environ = {
        "LEADPAGES_ENV": "production",
        "LEADPAGES_SECRET_KEY": "short",
        "LEADPAGES_REGISTER_KEY": "also-short",
        "LEADPAGES_DATABASE_URL": "postgresql://db/leadpages",
        "LEADPAGES_OPERATOR_NAME": "Op NV",
        "LEADPAGES_OPERATOR_ENTERPRISE_NUMBER": "BE 0999.999.999",
        "LEADPAGES_OPERATOR_ADDRESS": "Straat 1, Gent",
        "LEADPAGES_OPERATOR_PRIVACY_EMAIL": "privacy@op.example",
    }
    with pytest.raises(ConfigError, match="too short") as caught:
        load(environ)
    assert "LEADPAGES_SECRET_KEY is too short" in str(caught.value)
    assert "LEADPAGES_REGISTER_KEY is too short" in str(caught.value)
    environ["LEADPAGES_SECRET_KEY"] = TEST_SECRET
    environ["LEADPAGES_REGISTER_KEY"] = TEST_SECRET[::-1]
    values = load(environ)
    assert values["DATABASE_URL"] == "postgresql+psycopg://db/leadpages"


def test_create_app_reads_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LEADPAGES_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("LEADPAGES_AUDIENCE_BASIS", "consent")
    app = create_app()
    assert app.config["AUDIENCE_BASIS"] == "consent"
    assert app.instance_path == str(tmp_path)


def test_readme_lists_every_setting_as_the_code_defines_it() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    for setting in settings.SETTINGS:
        assert f"`LEADPAGES_{setting.name}`" in readme, setting.name
    # Defaults and help too: regenerate the table with `leadpages settings` after a change.
    assert settings.settings_table() in readme


def test_worker_lease_must_outlast_a_send(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"WORKER_LEASE_SECONDS .* must be longer"):
        load({"LEADPAGES_INSTANCE_PATH": str(tmp_path), "LEADPAGES_WORKER_LEASE_SECONDS": "5",
              "LEADPAGES_WEBHOOK_TIMEOUT_SECONDS": "10"})
