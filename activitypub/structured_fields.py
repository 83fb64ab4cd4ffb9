"""Structured Field Values for HTTP (RFC 8941), the part HTTP signatures need.

`Signature-Input`, `Signature`, `Content-Digest` and `Accept-Signature` are
Dictionaries whose members are Items or Inner Lists. We parse and serialize those
ourselves rather than add a runtime dependency: the grammar is small, and the
serialization must be canonical because RFC 9421 signs the serialized
`@signature-params` and component identifiers byte for byte.

Parsing follows RFC 8941 section 4.2 step by step; anything else raises
`StructuredFieldError` (a `ValueError`), never another exception.
"""

import base64
import binascii
import string
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal


class StructuredFieldError(ValueError):
    """The text is not a valid structured field of the expected type."""


class Token(str):
    """An RFC 8941 Token, kept apart from a String because they serialize differently."""


BareItem = int | Decimal | str | Token | bytes | bool
Parameters = dict[str, BareItem]


@dataclass(frozen=True)
class Item:
    value: BareItem
    params: Parameters = field(default_factory=dict)


@dataclass(frozen=True)
class InnerList:
    items: tuple[Item, ...]
    params: Parameters = field(default_factory=dict)


Member = Item | InnerList

_LCALPHA = frozenset(string.ascii_lowercase)
_DIGITS = frozenset(string.digits)
_KEY_CHARS = _LCALPHA | frozenset(string.digits + "_-.*")
_TCHAR = frozenset(string.ascii_letters + string.digits + "!#$%&'*+-.^_`|~")
_TOKEN_CHARS = _TCHAR | frozenset(":/")
_BASE64_CHARS = frozenset(string.ascii_letters + string.digits + "+/=")
_MAX_INTEGER = 999_999_999_999_999


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def fail(self, what: str) -> StructuredFieldError:
        return StructuredFieldError(f"{what} at position {self.pos}")

    def skip(self, chars: str) -> None:
        while self.peek() and self.peek() in chars:
            self.pos += 1

    def dictionary(self) -> dict[str, Member]:
        members: dict[str, Member] = {}
        while self.pos < len(self.text):
            key = self.key()
            if self.peek() == "=":
                self.pos += 1
                members[key] = self.item_or_inner_list()
            else:
                members[key] = Item(True, self.parameters())
            self.skip(" \t")
            if self.pos == len(self.text):
                break
            if self.peek() != ",":
                raise self.fail("expected ',' between dictionary members")
            self.pos += 1
            self.skip(" \t")
            if self.pos == len(self.text):
                raise self.fail("trailing ',' in dictionary")
        return members

    def item_or_inner_list(self) -> Member:
        return self.inner_list() if self.peek() == "(" else self.item()

    def inner_list(self) -> InnerList:
        self.pos += 1
        items: list[Item] = []
        while self.pos < len(self.text):
            self.skip(" ")
            if self.peek() == ")":
                self.pos += 1
                return InnerList(tuple(items), self.parameters())
            items.append(self.item())
            if self.peek() not in (" ", ")"):
                raise self.fail("expected ' ' or ')' in inner list")
        raise self.fail("unterminated inner list")

    def item(self) -> Item:
        value = self.bare_item()
        return Item(value, self.parameters())

    def parameters(self) -> Parameters:
        params: Parameters = {}
        while self.peek() == ";":
            self.pos += 1
            self.skip(" ")
            key = self.key()
            value: BareItem = True
            if self.peek() == "=":
                self.pos += 1
                value = self.bare_item()
            params[key] = value
        return params

    def key(self) -> str:
        first = self.peek()
        if not first or (first not in _LCALPHA and first != "*"):
            raise self.fail("expected a key")
        start = self.pos
        while self.peek() and self.peek() in _KEY_CHARS:
            self.pos += 1
        return self.text[start : self.pos]

    def bare_item(self) -> BareItem:
        char = self.peek()
        if char in _DIGITS or char == "-":
            return self.number()
        if char == '"':
            return self.string()
        if char == ":":
            return self.byte_sequence()
        if char == "?":
            return self.boolean()
        if char and (char in string.ascii_letters or char == "*"):
            return self.token()
        raise self.fail("expected an item")

    def number(self) -> int | Decimal:
        negative = self.peek() == "-"
        if negative:
            self.pos += 1
        if self.peek() not in _DIGITS:
            raise self.fail("expected a digit")
        digits: list[str] = []
        is_decimal = False
        while self.peek():
            char = self.peek()
            if char in _DIGITS:
                digits.append(char)
            elif char == "." and not is_decimal:
                if len(digits) > 12:
                    raise self.fail("decimal has more than 12 integer digits")
                digits.append(char)
                is_decimal = True
            else:
                break
            self.pos += 1
            if len(digits) > (16 if is_decimal else 15):
                raise self.fail("number has too many digits")
        number = ("-" if negative else "") + "".join(digits)
        if not is_decimal:
            return int(number)
        fraction = len(digits) - digits.index(".") - 1
        if fraction == 0 or fraction > 3:
            raise self.fail("decimal needs one to three fractional digits")
        return Decimal(number)

    def string(self) -> str:
        self.pos += 1
        chars: list[str] = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            self.pos += 1
            if char == "\\":
                escaped = self.peek()
                if escaped not in ('"', "\\"):
                    raise self.fail("invalid escape in string")
                chars.append(escaped)
                self.pos += 1
            elif char == '"':
                return "".join(chars)
            elif not " " <= char <= "~":
                raise self.fail("invalid character in string")
            else:
                chars.append(char)
        raise self.fail("unterminated string")

    def token(self) -> Token:
        start = self.pos
        self.pos += 1
        while self.peek() and self.peek() in _TOKEN_CHARS:
            self.pos += 1
        return Token(self.text[start : self.pos])

    def byte_sequence(self) -> bytes:
        self.pos += 1
        end = self.text.find(":", self.pos)
        if end < 0:
            raise self.fail("unterminated byte sequence")
        encoded = self.text[self.pos : end]
        if not set(encoded) <= _BASE64_CHARS:
            raise self.fail("invalid character in byte sequence")
        self.pos = end + 1
        try:
            return base64.b64decode(encoded, validate=True)
        except binascii.Error as error:
            raise self.fail(f"invalid base64 in byte sequence ({error})") from None

    def boolean(self) -> bool:
        self.pos += 1
        char = self.peek()
        if char not in ("0", "1"):
            raise self.fail("expected ?0 or ?1")
        self.pos += 1
        return char == "1"


def parse_dictionary(text: str) -> dict[str, Member]:
    """Parse a combined field value (field lines joined with ", ") as a Dictionary."""
    parser = _Parser(text.strip(" "))
    return parser.dictionary()


def parse_item(text: str) -> Item:
    """Parse a whole field value as one Item (with its parameters)."""
    parser = _Parser(text.strip(" "))
    item = parser.item()
    if parser.pos != len(parser.text):
        raise parser.fail("unexpected text after item")
    return item


def serialize_bare_item(value: BareItem) -> str:
    if isinstance(value, bool):
        return "?1" if value else "?0"
    if isinstance(value, int):
        if abs(value) > _MAX_INTEGER:
            raise StructuredFieldError(f"integer out of range: {value}")
        return str(value)
    if isinstance(value, Decimal):
        return _serialize_decimal(value)
    if isinstance(value, Token):
        if not value or (value[0] not in string.ascii_letters and value[0] != "*") or not set(value) <= _TOKEN_CHARS:
            raise StructuredFieldError(f"invalid token: {value!r}")
        return str(value)
    if isinstance(value, str):
        if not all(" " <= char <= "~" for char in value):
            raise StructuredFieldError(f"string has characters outside printable ASCII: {value!r}")
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return ":" + base64.b64encode(value).decode("ascii") + ":"


def _serialize_decimal(value: Decimal) -> str:
    rounded = value.quantize(Decimal("0.001"), rounding=ROUND_HALF_EVEN)
    if abs(rounded) >= Decimal("1000000000000"):
        raise StructuredFieldError(f"decimal out of range: {value}")
    text = format(rounded, "f").rstrip("0")
    return text + "0" if text.endswith(".") else text


def serialize_params(params: Parameters) -> str:
    return "".join(
        f";{_key(key)}" if value is True else f";{_key(key)}={serialize_bare_item(value)}"
        for key, value in params.items()
    )


def _key(key: str) -> str:
    if not key or (key[0] not in _LCALPHA and key[0] != "*") or not set(key) <= _KEY_CHARS:
        raise StructuredFieldError(f"invalid key: {key!r}")
    return key


def serialize_item(item: Item) -> str:
    return serialize_bare_item(item.value) + serialize_params(item.params)


def serialize_inner_list(inner: InnerList) -> str:
    return "(" + " ".join(serialize_item(item) for item in inner.items) + ")" + serialize_params(inner.params)


def serialize_dictionary(members: dict[str, Member]) -> str:
    parts = []
    for key, member in members.items():
        if isinstance(member, InnerList):
            parts.append(f"{_key(key)}={serialize_inner_list(member)}")
        elif member.value is True:
            parts.append(_key(key) + serialize_params(member.params))
        else:
            parts.append(f"{_key(key)}={serialize_item(member)}")
    return ", ".join(parts)
