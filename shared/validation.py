"""Checks for the kinds of input every domain takes: text, email addresses and URLs. Failures name the field."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from shared.errors import BadUserInput

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# What XML 1.0 cannot carry: C0 controls but tab, newline and carriage return, U+FFFE and U+FFFF, and
# lone surrogates. PostgreSQL cannot store NUL nor encode a lone surrogate, and feeds and mail carry XML.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
# ASCII addresses only: not every mail server on the way takes international ones (SMTPUTF8), and an
# address we cannot mail is no use to a member. Local part as RFC 5321's dot-atom; domain as DNS labels.
_ATOM = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_EMAIL = re.compile(rf"(?=[^@]{{1,64}}@){_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})+")
MAX_EMAIL = 254  # the longest address SMTP can carry in a path (RFC 5321, 4.5.3.1.3)


def line(raw: str, *, field: str, label: str, max_length: int, min_length: int = 1) -> str:
    """One line of printable text, trimmed."""
    value = raw.strip()
    if not min_length <= len(value) <= max_length or _CONTROL.search(value):
        raise BadUserInput(f"{label} must be {min_length} to {max_length} printable characters", field=field)
    return value


def text(raw: str, *, field: str, label: str, max_length: int) -> str:
    """Free text of any number of lines, returned as given: trimming is the caller's choice."""
    if len(raw) > max_length:
        raise BadUserInput(f"{label} must be at most {max_length} characters", field=field)
    found = _NOT_XML.search(raw)
    if found:
        raise BadUserInput(f"{label} may not contain the character U+{ord(found[0]):04X}", field=field)
    return raw


def email(raw: str, *, field: str) -> str:
    """An email address, trimmed and lower case."""
    trimmed = raw.strip()
    address = trimmed.lower()
    # ASCII is checked before lower-casing: the Kelvin sign "\u212a" lower-cases to an ASCII "k".
    if not trimmed.isascii() or len(address) > MAX_EMAIL or not _EMAIL.fullmatch(address):
        raise BadUserInput("email must be an address like name@example.org", field=field)
    return address


def http_url(raw: str, *, field: str, label: str, max_length: int = 500) -> str:
    """An absolute http(s) URL."""
    url = raw.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > max_length or _CONTROL.search(url):
        raise BadUserInput(f"{label} must be an http(s) URL of at most {max_length} characters", field=field)
    return url
