"""PEM loading for the key formats actors publish and the RFC 9421 test keys use."""

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from activitypub.keys import load_private_key, load_public_key, public_key_pem

KEYS = Path(__file__).parent / "fixtures" / "rfc9421"


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("test-key-rsa.pub.pem", rsa.RSAPublicKey),  # PKCS#1 "RSA PUBLIC KEY"
        ("test-key-rsa-pss.pub.pem", rsa.RSAPublicKey),  # SubjectPublicKeyInfo
        ("test-key-ed25519.pub.pem", ed25519.Ed25519PublicKey),
    ],
)
def test_public_keys_load(name: str, kind: type) -> None:
    key = load_public_key((KEYS / name).read_text())
    assert isinstance(key, kind)
    assert public_key_pem(load_public_key(public_key_pem(key))) == public_key_pem(key)


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("test-key-rsa.key.pem", rsa.RSAPrivateKey),  # PKCS#1
        ("test-key-rsa-pss.key.pem", rsa.RSAPrivateKey),  # PKCS#8 with the RSASSA-PSS OID
        ("test-key-ed25519.key.pem", ed25519.Ed25519PrivateKey),
    ],
)
def test_private_keys_load_and_give_their_public_pem(name: str, kind: type) -> None:
    key = load_private_key((KEYS / name).read_bytes())
    assert isinstance(key, kind)
    pem = public_key_pem(key)
    assert pem.startswith("-----BEGIN PUBLIC KEY-----\n")
    assert public_key_pem(load_public_key(pem)) == pem


def test_other_key_types_are_refused() -> None:
    ec_key = ec.generate_private_key(ec.SECP256R1())
    ec_public = ec_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    ec_private = ec_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(ValueError, match="unsupported public key type"):
        load_public_key(ec_public)
    with pytest.raises(ValueError, match="unsupported private key type"):
        load_private_key(ec_private)


@pytest.mark.parametrize("text", ["", "not a key", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"])
def test_garbage_is_a_value_error(text: str) -> None:
    with pytest.raises(ValueError, match=r"(?i)key|pem|deserialize"):
        load_public_key(text)
