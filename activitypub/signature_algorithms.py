"""The signature algorithms we verify, by their RFC 9421 registry names.

Mastodon signs and accepts only RSASSA-PKCS1-v1_5 with SHA-256 (draft-cavage
`rsa-sha256` and `hs2019` with an RSA key are that too). Ed25519 and
RSASSA-PSS with SHA-512 cost one branch each with `cryptography`, so RFC 9421
signatures using them verify as well; we sign with the first two only. ECDSA
and HMAC are refused: no Fediverse software uses them, and a shared secret has
no place in key lookup by actor.
"""

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from activitypub.keys import PrivateKey, PublicKey
from activitypub.signature_types import SignatureError

RSA_V1_5_SHA256 = "rsa-v1_5-sha256"
RSA_PSS_SHA512 = "rsa-pss-sha512"
ED25519 = "ed25519"
VERIFIABLE = frozenset({RSA_V1_5_SHA256, RSA_PSS_SHA512, ED25519})


def algorithm_for_key(key: PublicKey | PrivateKey) -> str:
    """The algorithm a key implies when the signature does not name one."""
    if isinstance(key, rsa.RSAPublicKey | rsa.RSAPrivateKey):
        return RSA_V1_5_SHA256
    return ED25519


def verify(algorithm: str, key: PublicKey, message: bytes, signature: bytes) -> None:
    """Raise SignatureError unless `signature` is `key`'s signature of `message` under `algorithm`."""
    try:
        if algorithm in (RSA_V1_5_SHA256, RSA_PSS_SHA512):
            if not isinstance(key, rsa.RSAPublicKey):
                raise SignatureError(f"algorithm {algorithm} needs an RSA key, the key is Ed25519")
            if algorithm == RSA_V1_5_SHA256:
                key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
            else:
                # RFC 9421 section 3.3.1: MGF1 with SHA-512 and a 64-byte salt.
                key.verify(signature, message, padding.PSS(padding.MGF1(hashes.SHA512()), 64), hashes.SHA512())
        elif algorithm == ED25519:
            if not isinstance(key, ed25519.Ed25519PublicKey):
                raise SignatureError(f"algorithm {algorithm} needs an Ed25519 key, the key is RSA")
            key.verify(signature, message)
        else:
            raise SignatureError(f"unsupported signature algorithm {algorithm!r}")
    except InvalidSignature:
        raise SignatureError(f"bad signature: it does not verify with the key ({algorithm})") from None


def sign(algorithm: str, key: PrivateKey, message: bytes) -> bytes:
    if algorithm == RSA_V1_5_SHA256 and isinstance(key, rsa.RSAPrivateKey):
        return key.sign(message, padding.PKCS1v15(), hashes.SHA256())
    if algorithm == ED25519 and isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(message)
    raise TypeError(f"cannot sign with {algorithm} using a {type(key).__name__}")
