"""A stand-in for another Fediverse server, served on 127.0.0.1 by uvicorn.

It publishes its actors (with their public keys, found by WebFinger) as a Mastodon server would,
records every request it receives (our signed fetches of its actors, and
our deliveries), and signs the requests it sends to our inboxes with
independent libraries: pyhttpsig (the httpsig package) for draft-cavage and
pyauth's http-message-signatures for RFC 9421, never with our own code. The
same libraries check the signatures on our deliveries (`verify_delivery`).
It can rotate its key, as a server does after a compromise, and its inboxes
can answer as a troubled or an RFC 9421-only server would.
"""

from __future__ import annotations

import asyncio
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
from http_message_signatures import HTTPMessageSigner, HTTPMessageVerifier, MappingKeyResolver, algorithms
from http_message_signatures.structures import CaseInsensitiveDict
from httpsig.sign import HeaderSigner
from httpsig.verify import HeaderVerifier
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
    # How its inboxes answer deliveries: these statuses in turn, then 202 once they run out;
    inbox_answers: list[int] = field(default_factory=list)
    # with this Accept-Signature on every answer (RFC 9421 section 5.1);
    accept_signature: str | None = None
    # refusing draft-cavage signatures with 401, as a server that takes only RFC 9421 does;
    refuses_cavage: bool = False
    # after this many seconds.
    inbox_delay: float = 0.0

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[RemoteInstance]:
        app = Starlette(
            routes=[
                Route("/.well-known/webfinger", self._webfinger, methods=["GET"]),
                Route("/users/{name}", self._actor, methods=["GET"]),
                Route("/users/{name}/inbox", self._inbox, methods=["POST"]),
                Route("/inbox", self._inbox, methods=["POST"]),
            ]
        )
        async with serving(app) as url:
            self.base_url = url
            yield self

    # Who is who.

    @property
    def domain(self) -> str:
        """The host (with its port) of its accounts' handles: alice@127.0.0.1:port."""
        return urlsplit(self.base_url).netloc

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

    def deliveries(self, path: str = "/inbox") -> list[Received]:
        """Our POSTs to an inbox: the shared one unless `path` names an actor's."""
        return [r for r in self.received if r.method == "POST" and r.path == path]

    def verify_delivery(self, delivery: Received, key_id: str, public_key_pem: str) -> str:
        """Check our signature on `delivery` with independent libraries; return its scheme, "cavage" or "rfc9421".

        draft-cavage: pyhttpsig over (request-target), host, date and digest,
        and the Digest against the body. RFC 9421: pyauth's
        http-message-signatures, with Mastodon's profile and the Content-Digest
        against the body.
        """
        if "signature-input" in delivery.headers:
            request = PeerRequest("POST", f"{self.base_url}{delivery.path}", CaseInsensitiveDict(delivery.headers))
            key = serialization.load_pem_public_key(public_key_pem.encode())
            resolver = MappingKeyResolver(public_keys={key_id: key}, private_keys={})
            [result] = HTTPMessageVerifier(
                signature_algorithm=algorithms.RSA_V1_5_SHA256, key_resolver=resolver
            ).verify(request, body=delivery.body, require_components=("@method", "@target-uri", "content-digest"))
            assert result.parameters["keyid"] == key_id
            return "rfc9421"
        assert f'keyId="{key_id}"' in delivery.headers["signature"]
        verifier = HeaderVerifier(
            delivery.headers,
            public_key_pem,
            required_headers=["(request-target)", "host", "date", "digest"],
            method="POST",
            path=delivery.path,
            sign_header="signature",
        )
        assert verifier.verify()
        assert (
            delivery.headers["digest"] == "SHA-256=" + base64.b64encode(hashlib.sha256(delivery.body).digest()).decode()
        )
        return "cavage"

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

    def note(self, in_reply_to: str | None, content: str, name: str = "alice") -> dict[str, Any]:
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

    async def _webfinger(self, request: Request) -> Response:
        self.received.append(Received("GET", request.url.path, dict(request.headers), b""))
        resource = request.query_params.get("resource", "")
        name, _, domain = resource.removeprefix("acct:").partition("@")
        if domain != self.domain or name not in self.keys:
            return Response(status_code=404)
        links = [{"rel": "self", "type": "application/activity+json", "href": self.actor(name)}]
        return Response(orjson.dumps({"subject": resource, "links": links}), media_type="application/jrd+json")

    async def _actor(self, request: Request) -> Response:
        self.received.append(Received("GET", request.url.path, dict(request.headers), b""))
        name = request.path_params["name"]
        if name not in self.keys:
            return Response(status_code=404)
        return Response(orjson.dumps(self.document(name)), media_type="application/activity+json")

    async def _inbox(self, request: Request) -> Response:
        self.received.append(Received("POST", request.url.path, dict(request.headers), await request.body()))
        await asyncio.sleep(self.inbox_delay)
        headers = {"Accept-Signature": self.accept_signature} if self.accept_signature else {}
        if self.refuses_cavage and "signature-input" not in request.headers:
            return Response(status_code=401, headers=headers)
        return Response(status_code=self.inbox_answers.pop(0) if self.inbox_answers else 202, headers=headers)
