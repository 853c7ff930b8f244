"""Every visible text exists in Dutch and French, and the catalogues match the code."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).parents[2]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
METHODS = [("leadpages/**.py", "python"), ("templates/**.html", "jinja2")]


def source_messages() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), METHODS, keywords=KEYWORDS
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


@pytest.mark.parametrize("lang", ["nl", "fr"])
def test_catalogue_translates_every_text_in_the_code(lang: str) -> None:
    with (ROOT / "translations" / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalogue = read_po(handle, locale=lang)
    translated = {m.id[0] if isinstance(m.id, tuple) else m.id
                  for m in catalogue if m.id and m.string and not m.fuzzy
                  and all(m.string if isinstance(m.string, tuple) else [m.string])}
    missing = source_messages() - translated
    assert not missing, f"run `make messages` and translate: {sorted(missing)[:10]}"
    assert catalogue.plural_forms  # the header is intact, or plurals break


@pytest.mark.parametrize("lang", ["nl", "fr"])
def test_privacy_notice_exists_in_each_language(lang: str) -> None:
    english = (ROOT / "templates" / "notices" / "privacy.en.html").read_text()
    other = (ROOT / "templates" / "notices" / f"privacy.{lang}.html").read_text()
    assert other != english
    assert other.count("<h2>") == english.count("<h2>")
    assert other.count("{{") == english.count("{{")
