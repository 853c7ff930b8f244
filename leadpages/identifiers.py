"""Canonical forms of a person's identifiers, so one person is recognised however they write them.

DESIGN.md section 7: email trimmed and lower-cased, and for gmail.com and googlemail.com without
dots or `+tag` in the local part; phone in E.164. The duplicate-lead rule uses these today and the
objection register will use the same functions, so the two can never disagree.
"""

from __future__ import annotations

import unicodedata

import phonenumbers

GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})


def canonical_email(email: str) -> str:
    """Trimmed, lower-case; gmail addresses without dots and +tags, on gmail.com."""
    local, _, domain = email.strip().lower().rpartition("@")
    if domain in GMAIL_DOMAINS:
        local = local.split("+", 1)[0].replace(".", "")
        domain = "gmail.com"
    return f"{local}@{domain}"


def canonical_phone(phone: str, region: str) -> str | None:
    """E.164 (`+32470123456`), or None when `phone` is not a valid number.

    `region` is assumed for numbers without an international prefix; `00` is read as one, so
    `0470 12 34 56`, `+32 470 12 34 56` and `0032470123456` are one Belgian number.
    """
    text = phone.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


#: Line breaks a message may hold; nothing else below a space is allowed anywhere.
_LINE_BREAKS = frozenset("\n\r\t")


def is_plain_text(text: str, *, multiline: bool = False) -> bool:
    """Whether `text` is free of control and invisible characters.

    Refused: control characters, unpaired surrogates, format characters (zero-width spaces, the
    direction overrides that make a text read differently from what it holds) and the Unicode
    line and paragraph separators, which would break an email header. Line breaks are allowed
    only in multiline text.
    """
    for char in text:
        if multiline and char in _LINE_BREAKS:
            continue
        if unicodedata.category(char) in ("Cc", "Cs", "Cf", "Zl", "Zp"):
            return False
    return True
