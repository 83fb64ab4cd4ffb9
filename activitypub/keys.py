"""Key types for HTTP signatures, and PEM loading for the keys actors publish.

ActivityPub actors publish `publicKeyPem`, nearly always RSA; Ed25519 keys
appear in RFC 9421 signatures, so both are accepted. Keys are `cryptography`
objects; these helpers only add the narrowing to the types we can use.
"""

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

PublicKey = rsa.RSAPublicKey | ed25519.Ed25519PublicKey
PrivateKey = rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey


def load_public_key(pem: str | bytes) -> PublicKey:
    """Load a SubjectPublicKeyInfo (`PUBLIC KEY`) or PKCS#1 (`RSA PUBLIC KEY`) PEM.

    Raises ValueError for anything that is not an RSA or Ed25519 public key.
    """
    data = pem.encode("ascii") if isinstance(pem, str) else pem
    key = serialization.load_pem_public_key(data)
    if not isinstance(key, PublicKey):
        raise ValueError(f"unsupported public key type {type(key).__name__}")
    return key


def load_private_key(pem: str | bytes, password: bytes | None = None) -> PrivateKey:
    """Load a PKCS#8 or PKCS#1 private key PEM; raises ValueError for other key types."""
    data = pem.encode("ascii") if isinstance(pem, str) else pem
    key = serialization.load_pem_private_key(data, password=password)
    if not isinstance(key, PrivateKey):
        raise ValueError(f"unsupported private key type {type(key).__name__}")
    return key


def public_key_pem(key: PublicKey | PrivateKey) -> str:
    """The SubjectPublicKeyInfo PEM an actor document publishes as `publicKeyPem`."""
    public = key.public_key() if isinstance(key, PrivateKey) else key
    encoded = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return encoded.decode("ascii")
