"""A stand-in for another Fediverse server, served on 127.0.0.1 by uvicorn.

It publishes its actors (with their public keys) as a Mastodon server would,
records every request it receives (our signed fetches of its actors, and
later our deliveries), and signs the requests it sends to our inboxes with
independent libraries: pyhttpsig (the httpsig package) for draft-cavage and
pyauth's http-message-signatures for RFC 9421, never with our own code. It can
rotate its key, as a server does after a compromise.
"""

from __future__ import annotations

import base64
import contextlib
import email.utils
import hashlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import orjson
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from http_message_signatures import HTTPMessageSigner, MappingKeyResolver, algorithms
from http_message_signatures.structures import CaseInsensitiveDict
from httpsig.sign import HeaderSigner
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.helpers import serving

AS_CONTEXT = ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"]


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode()


def public_pem(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class PeerRequest:
    """What pyauth's signer reads and writes: method, url, headers."""

    method: str
    url: str
    headers: CaseInsensitiveDict


@dataclass
class RemoteInstance:
    keys: dict[str, rsa.RSAPrivateKey] = field(default_factory=dict)  # by username, made on first use
    also_known_as: dict[str, list[str]] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    base_url: str = ""

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[RemoteInstance]:
        app = Starlette(
            routes=[
                Route("/users/{name}", self._actor, methods=["GET"]),
                Route("/users/{name}/inbox", self._inbox, methods=["POST"]),
                Route("/inbox", self._inbox, methods=["POST"]),
            ]
        )
        async with serving(app) as url:
            self.base_url = url
            yield self

    # Who is who.

    def actor(self, name: str = "alice") -> str:
        return f"{self.base_url}/users/{name}"

    def key_id(self, name: str = "alice") -> str:
        return f"{self.actor(name)}#main-key"

    def key(self, name: str = "alice") -> rsa.RSAPrivateKey:
        return self.keys.setdefault(name, new_key())

    def rotate_key(self, name: str = "alice") -> None:
        self.keys[name] = new_key()

    def fetches(self, name: str = "alice") -> list[Received]:
        """Our GETs of this actor."""
        return [r for r in self.received if r.method == "GET" and r.path == f"/users/{name}"]

    def document(self, name: str) -> dict[str, Any]:
        actor = self.actor(name)
        return {
            "@context": AS_CONTEXT,
            "id": actor,
            "type": "Person",
            "preferredUsername": name,
            "inbox": f"{actor}/inbox",
            "outbox": f"{actor}/outbox",
            "followers": f"{actor}/followers",
            "endpoints": {"sharedInbox": f"{self.base_url}/inbox"},
            "publicKey": {"id": self.key_id(name), "owner": actor, "publicKeyPem": public_pem(self.key(name))},
            "alsoKnownAs": self.also_known_as.get(name, []),
        }

    # What it sends.

    def activity(self, kind: str, obj: Any, name: str = "alice", **extra: Any) -> dict[str, Any]:
        return {
            "@context": AS_CONTEXT,
            "id": f"{self.actor(name)}/activities/{uuid.uuid4().hex}",
            "type": kind,
            "actor": self.actor(name),
            "object": obj,
            **extra,
        }

    def note(self, in_reply_to: str, content: str, name: str = "alice") -> dict[str, Any]:
        return {
            "id": f"{self.actor(name)}/statuses/{uuid.uuid4().hex}",
            "type": "Note",
            "attributedTo": self.actor(name),
            "inReplyTo": in_reply_to,
            "content": content,
            "published": "2026-12-01T10:00:00Z",
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
        }

    def sign_cavage(
        self,
        url: str,
        body: bytes,
        *,
        name: str = "alice",
        date: datetime | None = None,
        key: rsa.RSAPrivateKey | None = None,
    ) -> dict[str, str]:
        """Headers for a POST of `body` to `url`, signed as Mastodon signs: rsa-sha256 over
        (request-target), host, date and digest."""
        parts = urlsplit(url)
        headers = {
            "Host": parts.netloc,
            "Date": email.utils.format_datetime(date or datetime.now(UTC), usegmt=True),
            "Digest": "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode(),
            "Content-Type": "application/activity+json",
        }
        signer = HeaderSigner(
            self.key_id(name),
            private_pem(key or self.key(name)),
            algorithm="rsa-sha256",
            headers=["(request-target)", "host", "date", "digest"],
            sign_header="signature",
        )
        return dict(signer.sign(headers, method="POST", path=parts.path))

    def sign_rfc9421(self, url: str, body: bytes, *, name: str = "alice") -> dict[str, str]:
        """Headers for a POST of `body` to `url`, signed with Mastodon's RFC 9421 profile."""
        request = PeerRequest(
            "POST",
            url,
            CaseInsensitiveDict({"Host": urlsplit(url).netloc, "Content-Type": "application/activity+json"}),
        )
        resolver = MappingKeyResolver(public_keys={}, private_keys={self.key_id(name): self.key(name)})
        HTTPMessageSigner(signature_algorithm=algorithms.RSA_V1_5_SHA256, key_resolver=resolver).sign(
            request,
            key_id=self.key_id(name),
            covered_component_ids=("@method", "@target-uri", "content-digest"),
            body=body,
            label="sig1",
        )
        return dict(request.headers.items())

    # What it answers.

    async def _actor(self, request: Request) -> Response:
        self.received.append(Received("GET", request.url.path, dict(request.headers), b""))
        name = request.path_params["name"]
        if name not in self.keys:
            return Response(status_code=404)
        return Response(orjson.dumps(self.document(name)), media_type="application/activity+json")

    async def _inbox(self, request: Request) -> Response:
        self.received.append(Received("POST", request.url.path, dict(request.headers), await request.body()))
        return Response(status_code=202)
