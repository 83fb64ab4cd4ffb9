"""Our RFC 8941 subset, checked against http-sf (mnot's reference implementation) as the oracle."""

from decimal import Decimal

import http_sf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from activitypub import structured_fields as sf


def oracle_dictionary(text: str):
    """http-sf's parse in our shape, or None where it fails; RFC 9651-only types are skipped."""
    try:
        parsed = http_sf.parse(text.encode("latin-1"), tltype="dictionary")
    except http_sf.StructuredFieldError:
        return None

    def bare(value):
        if isinstance(value, http_sf.Token):
            return sf.Token(str(value))
        if isinstance(value, float | int | str | bytes | bool | Decimal):
            return value
        pytest.skip(f"RFC 9651 type {type(value).__name__} is outside RFC 8941")

    def item(value):
        bare_value, params = value
        return sf.Item(bare(bare_value), {key: bare(param) for key, param in params.items()})

    members = {}
    for key, (value, params) in parsed.items():
        if isinstance(value, list):
            members[key] = sf.InnerList(tuple(item(entry) for entry in value), {k: bare(v) for k, v in params.items()})
        else:
            members[key] = item((value, params))
    return members


SIGNATURE_INPUT = (
    'sig1=("@method" "@target-uri" "content-digest");created=1748341414;keyid="https://my.example.com/actor#main-key"'
)


@pytest.mark.parametrize(
    "text",
    [
        SIGNATURE_INPUT,
        'sig-b22=("@authority" "content-digest" "@query-param";name="Pet");created=1618884473;keyid="k";tag="x"',
        "sig1=:d2pmTvmbncD3xQm8E9ZV2828BjQWGgiwAaw5bAkgibU=:, sig2=:AAE=:",
        'a=?1, b, c;x=1.5, d=tok/x:y, e=-12, f=(), g=("a\\"b" "c\\\\d");p',
        "   a=1 ,\tb=2   ",
        "a=1, a=2",
        "a=0.001, b=-999999999999.999, c=999999999999999",
    ],
)
def test_valid_dictionaries_match_http_sf(text: str) -> None:
    ours = sf.parse_dictionary(text)
    assert ours == oracle_dictionary(text)
    assert sf.serialize_dictionary(ours) == http_sf.ser(http_sf.parse(text.encode(), tltype="dictionary"))


@pytest.mark.parametrize(
    "text",
    [
        "a=1,",
        "a=1,,b=2",
        "A=1",
        "a=",
        "a=(1 2",
        "a=(1,2)",
        'a="unterminated',
        'a="bad \\n escape"',
        "a=:not base64!:",
        "a=:AAE=",
        "a=?2",
        "a=1.",
        "a=1.2345",
        "a=1234567890123456",
        "a=1234567890123.5",
        "a=--1",
        "a=1 b=2",
        "a=@1659578233",
        'a=%"display"',
        "a=1;",
        "a=1;B=2",
        "a=é",
    ],
)
def test_invalid_dictionaries_are_refused_like_http_sf(text: str) -> None:
    with pytest.raises(sf.StructuredFieldError):
        sf.parse_dictionary(text)
    if "@" not in text and "%" not in text:
        assert oracle_dictionary(text) is None


def test_an_empty_field_is_an_empty_dictionary() -> None:
    assert sf.parse_dictionary("  ") == {}


def test_serializer_is_canonical() -> None:
    members = {
        "sig1": sf.InnerList(
            (sf.Item("@method"), sf.Item("@query-param", {"name": "Pet"})), {"created": 1, "keyid": "k"}
        ),
        "flag": sf.Item(True, {"p": sf.Token("tok")}),
        "bytes": sf.Item(b"\x00\x01"),
        "dec": sf.Item(Decimal("1.2500")),
        "no": sf.Item(False),
    }
    text = sf.serialize_dictionary(members)
    assert (
        text
        == 'sig1=("@method" "@query-param";name="Pet");created=1;keyid="k", flag;p=tok, bytes=:AAE=:, dec=1.25, no=?0'
    )
    assert sf.parse_dictionary(text) == members


@pytest.mark.parametrize("value", [sf.Token("1abc"), "tab\there", 10**15, Decimal("1000000000000"), sf.Token("a b")])
def test_serializer_refuses_what_cannot_be_represented(value: sf.BareItem) -> None:
    with pytest.raises(sf.StructuredFieldError):
        sf.serialize_item(sf.Item(value))


def test_parse_item() -> None:
    assert sf.parse_item('"@query-param";name="Pet"') == sf.Item("@query-param", {"name": "Pet"})
    with pytest.raises(sf.StructuredFieldError):
        sf.parse_item('"a" "b"')


# Text built from the characters that matter to the grammar, so that most
# examples get deep into the parser instead of failing on the first byte.
structured_text = st.text(alphabet=st.sampled_from(list('abz*-_.019 ,;=()"\\:?/+AB\t@%é')), max_size=40)


@settings(max_examples=400, deadline=None)
@given(structured_text)
def test_parser_agrees_with_http_sf_on_arbitrary_text(text: str) -> None:
    expected = oracle_dictionary(text)
    if expected is None:
        with pytest.raises(sf.StructuredFieldError):
            sf.parse_dictionary(text)
    else:
        assert sf.parse_dictionary(text) == expected
