"""Each platform's normaliser against the platforms' published examples and Belgian spellings."""

from __future__ import annotations

import pytest

from leadpages.audiences import normalise
from leadpages.audiences.normalise import LeadFields

MARY = "f1904cf1a9d73a55fa5de0ac823c4403ded71afd4c3248d00bdcd0866552bb79"
BELGIAN_DIGITS = "32470123456"


def test_meta_email_vector() -> None:
    # Meta's documentation: sha256("mary@example.com") begins f1904cf1.
    for written in ("mary@example.com", "  Mary@Example.COM ", "MARY@EXAMPLE.COM"):
        assert normalise.sha256(normalise.meta_email(written)) == MARY
    assert MARY.startswith("f1904cf1")


def test_meta_phone_vector() -> None:
    assert normalise.meta_phone("+1 (555) 987-6543", "BE") == "15559876543"
    assert normalise.sha256(normalise.meta_phone("+1 (555) 987-6543", "BE")) == (
        "1ef970831d7963307784fa8688e8fce101a15685d62aa765fed23f3a2c576a4e")


@pytest.mark.parametrize("written", ["0470 12 34 56", "+32 470 12 34 56", "0032470123456",
                                     "0470/12.34.56", "0470-12-34-56", "+32470123456"])
def test_belgian_phone_spellings_are_one_hash(written: str) -> None:
    assert normalise.meta_phone(written, "BE") == BELGIAN_DIGITS
    assert normalise.e164(written, "BE") == "+" + BELGIAN_DIGITS
    row = normalise.meta_row(LeadFields("a@example.com", written, None, None, None, None), "BE")
    assert row[1] == normalise.sha256(BELGIAN_DIGITS)


def test_a_number_that_is_no_number_is_left_empty() -> None:
    assert normalise.meta_phone("12", "BE") == ""
    assert normalise.meta_phone(None, "BE") == ""
    assert normalise.meta_row(LeadFields("a@example.com", "nope", None, None, None, None),
                              "BE")[1] == ""


def test_gmail_rule_for_google_and_csv_but_not_meta() -> None:
    spellings = ["Mary.Smith+ads@Gmail.com", " marysmith@googlemail.com", "m.a.r.y.smith@gmail.com"]
    canonical = normalise.sha256("marysmith@gmail.com")
    for written in spellings:
        lead = LeadFields(written, "+32470123456", None, None, None, None)
        assert normalise.google_row(lead, "BE")[0] == canonical
        assert normalise.csv_row(lead, "BE")[0] == canonical
    # Meta's rule is trim and lower-case only: its own matching decides the rest.
    assert normalise.meta_email("Mary.Smith+ads@Gmail.com") == "mary.smith+ads@gmail.com"
    # A +tag outside gmail is part of the address.
    assert normalise.google_email("jan+x@example.com") == "jan+x@example.com"


@pytest.mark.parametrize(("written", "meta"), [
    ("Zoë", "zoe"), ("Müller", "muller"), ("Łukasz", "lukasz"), ("Straße", "strasse"),
    ("Ærøskøbing", "aeroskobing"), ("Đorđević", "dordevic"), ("François", "francois"),
    ("Jean-Pierre", "jeanpierre"), ("Van den Bossche", "vandenbossche"), ("O'Brien", "obrien"),
    ("  Anne-Sophie  ", "annesophie"), ("Øyvind", "oyvind"), ("Ĳsbrand", "ijsbrand"),
])
def test_meta_names_transliterate_accents_and_drop_punctuation(written: str, meta: str) -> None:
    assert normalise.meta_name(written) == meta


def test_accented_names_are_never_dropped() -> None:
    # Letters of other scripts are kept (Meta takes UTF-8), never lost to an empty value.
    for written in ("Ωμέγα", "Иван", "张伟", "Ñ", "ß"):
        assert normalise.meta_name(written), written
    assert normalise.meta_name("Иван") == "иван"


def test_google_names_keep_accents_but_drop_punctuation_and_spaces() -> None:
    assert normalise.google_name(" Zoë-Anne ") == "zoëanne"
    assert normalise.google_name("Pérez") == "pérez"
    # The same name typed decomposed (e + combining accent) hashes alike.
    assert normalise.google_name("Pe\u0301rez") == "pérez"


def test_meta_row_hashes_every_column() -> None:
    row = normalise.meta_row(LeadFields(" Mary@Example.com", "+15559876543", "Zoë",
                                        "Van Damme", "1000 ", "BE"), "BE")
    assert row == (
        MARY,
        normalise.sha256("15559876543"),
        normalise.sha256("zoe"),
        normalise.sha256("vandamme"),
        normalise.sha256("1000"),
        normalise.sha256("be"),
    )
    assert all(len(v) == 64 and v == v.lower() for v in row)
    assert normalise.META_COLUMNS == ("email", "phone", "fn", "ln", "zip", "country")


def test_unknown_fields_stay_empty_not_hashed_empty_text() -> None:
    row = normalise.meta_row(LeadFields("a@example.com", "+32470123456", None, "", None, "B"),
                             "BE")
    assert row[2:] == ("", "", "", "")  # "B" is no ISO country code


def test_google_row_has_place_in_clear() -> None:
    row = normalise.google_row(LeadFields("Jan.Peeters@gmail.com", "0470 12 34 56", "Jan",
                                          "Peeters", "wc2h  8lg", "be"), "BE")
    assert row == (normalise.sha256("janpeeters@gmail.com"), normalise.sha256("+32470123456"),
                   normalise.sha256("jan"), normalise.sha256("peeters"), "BE", "WC2H 8LG")
    assert normalise.GOOGLE_COLUMNS == ("Email", "Phone", "First Name", "Last Name", "Country",
                                        "Zip")


def test_csv_row_is_canonical_email_and_e164_phone() -> None:
    row = normalise.csv_row(LeadFields("Jan@Example.com ", "0032 470 12 34 56", "J", "P",
                                       None, None), "BE")
    assert row == (normalise.sha256("jan@example.com"), normalise.sha256("+32470123456"))
