"""The vocabulary shared by both signature schemes and the front that dispatches to them."""

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from activitypub.keys import PublicKey


class SignatureError(Exception):
    """A request's signature cannot be accepted; `reason` says precisely why.

    Parsing and verification raise nothing else on bad input, so a caller can
    turn any SignatureError into a 401 with the reason and treat anything else
    as a bug.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Scheme(enum.Enum):
    CAVAGE = "draft-cavage-http-signatures-12"
    RFC9421 = "rfc9421"


@dataclass(frozen=True)
class VerifiedSignature:
    key_id: str
    scheme: Scheme
    covered: tuple[str, ...]
    algorithm: str


@dataclass(frozen=True)
class PendingSignature:
    """A signature that parsed and meets the profile, before its key is known.

    Everything that needs no key (syntax, required coverage, digests, covered
    fields present) has been checked; `check(key)` does the cryptography,
    returns the name of the algorithm that verified, and raises SignatureError
    when the key does not verify it. Splitting the two lets the front refuse
    stale or malformed requests without fetching a key.
    """

    scheme: Scheme
    key_id: str
    covered: tuple[str, ...]
    created: datetime
    expires: datetime | None
    check: Callable[[PublicKey], str]
