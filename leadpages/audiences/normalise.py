"""Each ad platform's normaliser and file row (DESIGN.md section 7).

A platform matches a hashed identifier only if it was written exactly as the platform writes it
before hashing, so each platform has its own rules, tested against its published examples:

- Meta: SHA-256 hex of the email (trimmed, lower-case), the phone (digits with the country code,
  no `+`), first and last name (lower-case, accents transliterated, no punctuation or spaces),
  postcode (lower-case, no spaces) and country (ISO alpha-2, lower-case); all hashed.
- Google Customer Match: the email as Meta plus the gmail rule (canonical form), the phone in
  E.164 with `+`, names lower-case without punctuation or spaces (accents kept), all hashed;
  country and postcode in clear.
- `csv`: a neutral hashed list of the canonical email and the E.164 phone.

A row is built from one lead's fields (`LeadFields`, or any tuple of the same values in the
same order, as the export's query returns them), so the export can stream.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from typing import NamedTuple

from leadpages.identifiers import canonical_email, canonical_phone


class LeadFields(NamedTuple):
    """What a platform row is built from: one lead's identifiers and address, as stored."""

    email: str
    phone: str | None
    first_name: str | None
    last_name: str | None
    postcode: str | None
    country: str | None


def sha256(value: str) -> str:
    """Lower-case hex SHA-256 of the UTF-8 text; an empty value stays empty (nothing known)."""
    return hashlib.sha256(value.encode()).hexdigest() if value else ""


#: Letters NFKD does not decompose into a base letter and a mark.
_TRANSLITERATE = str.maketrans({
    "ß": "ss", "ẞ": "ss", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "ø": "o", "Ø": "o",
    "ł": "l", "Ł": "l", "đ": "d", "Đ": "d", "ð": "d", "Ð": "d", "þ": "th", "Þ": "th",
    "ı": "i", "ħ": "h", "Ħ": "h", "ŧ": "t", "Ŧ": "t", "ŋ": "n", "Ŋ": "n", "ĸ": "k",
})


def transliterate(text: str) -> str:
    """Latin letters with accents as their base letters: `Zoë Łukasiewicz` -> `Zoe Lukasiewicz`.

    Letters of other scripts are kept (Meta takes them in UTF-8); no letter is ever dropped.
    """
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text.translate(_TRANSLITERATE))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _letters(text: str) -> str:
    """Only letters and digits, lower-case: punctuation and spaces go."""
    lowered = text.lower()
    if lowered.isascii() and lowered.isalnum():
        return lowered
    return "".join(c for c in lowered if c.isalnum())


# --- Meta -------------------------------------------------------------------------------------


def meta_email(email: str) -> str:
    """Trimmed and lower-case (Meta does not apply the gmail rule)."""
    return email.strip().lower()


def e164(phone: str | None, region: str) -> str:
    """The phone in E.164 (`+32470123456`), or "" when it cannot be known.

    Stored leads hold E.164 already (the form writes it). A number written with its country
    code (`+` or `00`) that the numbering plan does not know (`+1 555 ...`) keeps its digits as
    written; a national number needs `region`.
    """
    if not phone:
        return ""
    if phone[0] == "+" and phone[1:].isdigit():
        return phone
    canonical = canonical_phone(phone, region)
    if canonical:
        return canonical
    text = phone.strip()
    digits = "".join(c for c in text if c.isdigit())
    if text.startswith("+") and digits:
        return "+" + digits
    if text.startswith("00") and len(digits) > 2:
        return "+" + digits[2:]
    return ""


def meta_phone(phone: str | None, region: str) -> str:
    """Digits with the country code, no `+` or leading zeros: `+1 (555) 987-6543` -> 15559876543."""
    return e164(phone, region)[1:]


def meta_name(name: str | None) -> str:
    """Lower-case, accents transliterated, no punctuation or spaces: `Zoë-Anne` -> `zoeanne`."""
    return _letters(transliterate(name.strip())) if name else ""


def postcode(value: str | None) -> str:
    """Lower-case without spaces: `1000`, `wc2h8lg`."""
    return "".join(value.lower().split()) if value else ""


def country(value: str | None) -> str:
    """ISO alpha-2, lower-case; anything else is unknown."""
    text = value.strip().lower() if value else ""
    return text if len(text) == 2 and text.isalpha() and text.isascii() else ""


# Names, postcodes and countries repeat across leads: their hashes are cached (bounded).
@lru_cache(maxsize=65_536)
def _meta_name_hash(name: str) -> str:
    return sha256(meta_name(name))


@lru_cache(maxsize=16_384)
def _meta_zip_hash(value: str) -> str:
    return sha256(postcode(value))


@lru_cache(maxsize=1024)
def _meta_country_hash(value: str) -> str:
    return sha256(country(value))


META_COLUMNS = ("email", "phone", "fn", "ln", "zip", "country")
#: Meta's API names of the same columns, in the same order.
META_SCHEMA = ("EMAIL", "PHONE", "FN", "LN", "ZIP", "COUNTRY")
_sha256 = hashlib.sha256


def meta_row(lead: LeadFields, region: str) -> tuple[str, ...]:
    """One person's row of a Meta customer list: every value hashed, empty when unknown.

    Written out by hand (the same rules as the functions above): it runs once per person, a
    million times in a big export.
    """
    email, phone, first, last, zip_code, land = lead
    if phone and phone[0] == "+" and phone[1:].isdigit():
        digits = phone[1:]  # stored E.164
    else:
        digits = meta_phone(phone, region)
    return (
        _sha256(email.strip().lower().encode()).hexdigest(),
        _sha256(digits.encode()).hexdigest() if digits else "",
        _meta_name_hash(first) if first else "",
        _meta_name_hash(last) if last else "",
        _meta_zip_hash(zip_code) if zip_code else "",
        _meta_country_hash(land) if land else "",
    )


# --- Google -----------------------------------------------------------------------------------


def google_email(email: str) -> str:
    """Trimmed, lower-case, and the gmail rule (no dots or +tag; googlemail.com is gmail.com)."""
    return canonical_email(email)


def google_name(name: str | None) -> str:
    """Lower-case, no punctuation or spaces; accented letters kept as written (NFC)."""
    return _letters(unicodedata.normalize("NFC", name.strip())) if name else ""


@lru_cache(maxsize=65_536)
def _google_name_hash(name: str) -> str:
    return sha256(google_name(name))


GOOGLE_COLUMNS = ("Email", "Phone", "First Name", "Last Name", "Country", "Zip")


def google_row(lead: LeadFields, region: str) -> tuple[str, ...]:
    """One person's row of a Customer Match file: identifiers and names hashed; place in clear."""
    email, phone, first, last, zip_code, land = lead
    return (
        sha256(google_email(email)),
        sha256(e164(phone, region)),
        _google_name_hash(first) if first else "",
        _google_name_hash(last) if last else "",
        country(land).upper(),
        " ".join(zip_code.split()).upper() if zip_code else "",
    )


# --- csv --------------------------------------------------------------------------------------

CSV_COLUMNS = ("email_sha256", "phone_sha256")


def csv_row(lead: LeadFields, region: str) -> tuple[str, ...]:
    """SHA-256 of the canonical email (gmail rule) and of the E.164 phone."""
    email, phone = lead[0], lead[1]
    return sha256(canonical_email(email)), sha256(e164(phone, region))


#: Every platform's row begins with the hashed email and phone: what a removal needs.
IDENTIFIERS = 2


class Platform(NamedTuple):
    """A platform's file: its header and how one lead becomes one row."""

    columns: tuple[str, ...]
    row: Callable[[LeadFields, str], tuple[str, ...]]


PLATFORMS: dict[str, Platform] = {
    "meta": Platform(META_COLUMNS, meta_row),
    "google": Platform(GOOGLE_COLUMNS, google_row),
    "csv": Platform(CSV_COLUMNS, csv_row),
}
