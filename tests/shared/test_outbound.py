"""The outbound HTTP helper against real uvicorn servers on 127.0.0.1.

The guard refuses loopback, so most tests turn it off with OUTBOUND_ALLOW_PRIVATE,
as the setting is meant for; the guard's own tests leave it on and check that
the stand-in server never saw a request.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import gzip
import ipaddress
import socket
import ssl
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import orjson
import pytest
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from starlette.types import Receive, Scope, Send

from roseash.server import bind
from shared import outbound
from shared.config import ConfigError, Settings, load_settings
from shared.outbound import Outbound, OutboundError, forbidden_reason
from tests.helpers import serving


def settings(**environ: str) -> Settings:
    return load_settings({"PUBLIC_URL": "https://coop.example", **environ})


def open_settings(**environ: str) -> Settings:
    """Settings with the guard off, to reach the stand-ins on 127.0.0.1."""
    return settings(OUTBOUND_ALLOW_PRIVATE="true", **environ)


class StandIn:
    """Someone else's server: records every request and answers by path."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        query = {name: values[0] for name, values in parse_qs(scope["query_string"].decode()).items()}
        headers = {name.decode(): value.decode() for name, value in scope["headers"]}
        self.requests.append(
            {
                "method": scope["method"],
                "path": scope["path"],
                "headers": headers,
                "body": body,
                "client": scope["client"],
            }
        )
        path = scope["path"]
        size = int(query.get("size", "0"))
        if path == "/json":
            await respond(send, 200, b'{"ok": true}', content_type=b"application/json")
        elif path == "/echo":
            echoed = {"method": scope["method"], "headers": headers, "body": body.decode()}
            await respond(send, 200, orjson.dumps(echoed), content_type=b"application/json")
        elif path == "/not-json":
            await respond(send, 200, b"<html>not json</html>", content_type=b"text/html")
        elif path.startswith("/status/"):
            await respond(send, int(path.removeprefix("/status/")), b"{}")
        elif path.startswith("/redirect/"):
            left = int(path.removeprefix("/redirect/"))
            target = f"/redirect/{left - 1}" if left > 1 else "/json"
            await respond(send, 302, extra=[(b"location", target.encode())])
        elif path == "/to":
            await respond(send, int(query.get("status", "302")), extra=[(b"location", query["url"].encode())])
        elif path == "/sized":
            await respond(send, 200, b"x" * size)
        elif path == "/chunked":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            for _ in range(size // 100):
                await send({"type": "http.response.body", "body": b"x" * 100, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        elif path == "/gzip-bomb":
            packed = gzip.compress(b"\0" * size)
            await respond(send, 200, packed, extra=[(b"content-encoding", b"gzip")])
        elif path == "/announce":
            # Announces a gigabyte, sends a little, and waits for the client to give up.
            headers_out = [(b"content-length", b"1000000000")]
            await send({"type": "http.response.start", "status": 200, "headers": headers_out})
            await send({"type": "http.response.body", "body": b"x" * 100, "more_body": True})
            await receive()
        elif path == "/hang":
            await receive()  # returns once the client has gone away
        elif path == "/trickle":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            while True:
                await send({"type": "http.response.body", "body": b"x", "more_body": True})
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(receive(), 0.05)
                    return  # the client went away
        else:
            await respond(send, 404)

    def paths(self) -> list[str]:
        return [request["path"] for request in self.requests]


async def respond(
    send: Send,
    status: int,
    body: bytes = b"",
    *,
    content_type: bytes = b"application/octet-stream",
    extra: list[tuple[bytes, bytes]] | None = None,
) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode()), *(extra or [])]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@pytest.fixture
async def stand_in() -> AsyncIterator[tuple[StandIn, str]]:
    app = StandIn()
    async with serving(app) as base:
        yield app, base


async def failure(settings: Settings, url: str, **kwargs: Any) -> OutboundError:
    async with Outbound(settings) as http:
        with pytest.raises(OutboundError) as caught:
            await http.get(url, **kwargs)
    return caught.value


# The address classifier.


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("8.8.8.8", None),
        ("1.1.1.1", None),
        ("172.32.0.1", None),
        ("100.128.0.1", None),
        ("127.0.0.1", "a loopback address"),
        ("127.255.255.254", "a loopback address"),
        ("10.0.0.5", "a private address"),
        ("172.16.0.1", "a private address"),
        ("172.31.255.255", "a private address"),
        ("192.168.1.1", "a private address"),
        ("169.254.169.254", "a link-local address"),
        ("100.64.0.1", "a carrier-grade NAT address"),
        ("100.127.255.255", "a carrier-grade NAT address"),
        ("0.0.0.0", "an unspecified address"),
        ("0.1.2.3", "an unspecified address"),
        ("224.0.0.1", "a multicast address"),
        ("239.255.255.250", "a multicast address"),
        ("240.0.0.1", "a reserved address"),
        ("255.255.255.255", "a reserved address"),
        ("192.0.0.8", "a reserved address"),
        ("192.0.2.1", "a documentation address"),
        ("203.0.113.7", "a documentation address"),
        ("198.18.0.1", "a benchmarking address"),
        ("2606:4700:4700::1111", None),
        ("2a00:1450:4001:81b::200e", None),
        ("::ffff:8.8.8.8", None),
        ("64:ff9b::808:808", None),
        ("2002:808:808::1", None),
        ("::1", "a loopback address"),
        ("::", "an unspecified address"),
        ("fe80::1", "a link-local address"),
        ("fe80::1%1", "a link-local address"),
        ("fd00::1", "a private address"),
        ("fc00::1", "a private address"),
        ("ff02::1", "a multicast address"),
        ("::ffff:127.0.0.1", "a loopback address"),
        ("::ffff:10.0.0.5", "a private address"),
        ("::ffff:169.254.169.254", "a link-local address"),
        ("::ffff:100.64.0.1", "a carrier-grade NAT address"),
        ("64:ff9b::7f00:1", "a loopback address"),
        ("2002:a00:5::1", "a private address"),
        ("::127.0.0.1", "a reserved address"),
        ("100::1", "a reserved address"),
        ("2001::1", "a reserved address"),
        ("2001:db8::1", "a documentation address"),
        ("3fff::1", "a documentation address"),
    ],
)
def test_address_classifier(address: str, reason: str | None) -> None:
    assert forbidden_reason(ipaddress.ip_address(address)) == reason


# The guard.


@pytest.mark.parametrize(
    ("template", "reason"),
    [
        ("http://127.0.0.1:{port}/json", "is a loopback address 127.0.0.1"),
        ("http://localhost:{port}/json", "resolves to a loopback address 127.0.0.1"),
        ("http://LocalHost:{port}/json", "resolves to a loopback address 127.0.0.1"),
        ("http://2130706433:{port}/json", "resolves to a loopback address 127.0.0.1"),
        ("http://0.0.0.0:{port}/json", "is an unspecified address 0.0.0.0"),
        ("http://[::ffff:127.0.0.1]:{port}/json", "is a loopback address ::ffff:127.0.0.1"),
        ("http://[::1]:{port}/json", "is a loopback address ::1"),
        ("http://10.0.0.5:{port}/json", "is a private address 10.0.0.5"),
        ("http://169.254.169.254/latest/meta-data/", "is a link-local address 169.254.169.254"),
        ("https://100.64.0.1/", "is a carrier-grade NAT address 100.64.0.1"),
    ],
)
async def test_guard_refuses_non_public_destinations_without_connecting(
    stand_in: tuple[StandIn, str], template: str, reason: str
) -> None:
    app, base = stand_in
    url = template.format(port=base.rsplit(":", 1)[1])
    started = time.monotonic()
    error = await failure(settings(), url)
    assert error.reason == reason
    assert str(error) == f"{url.lower()}: {reason}"  # host names are shown lowercased
    assert not error.retryable
    # Nothing reached the stand-in, and the unroutable addresses were not even tried:
    # a connection attempt would have waited for the connect timeout.
    assert app.requests == []
    assert time.monotonic() - started < 1


async def test_switch_lets_loopback_through(stand_in: tuple[StandIn, str]) -> None:
    app, base = stand_in
    port = base.rsplit(":", 1)[1]
    async with Outbound(open_settings()) as http:
        response = await http.get(f"{base}/json")
        by_name = await http.get(f"http://localhost:{port}/json")
    assert response.status == 200
    assert response.json() == {"ok": True}
    assert response.url == f"{base}/json"
    assert response.headers["content-type"] == "application/json"
    assert by_name.json() == {"ok": True}
    assert app.requests[0]["headers"]["user-agent"] == "RoseAsh/0.1.0 (+https://coop.example/)"


async def test_connections_are_kept_alive_within_one_use(stand_in: tuple[StandIn, str]) -> None:
    app, base = stand_in
    async with Outbound(open_settings()) as http:
        for _ in range(3):
            await http.get(f"{base}/json")
    assert len({request["client"] for request in app.requests}) == 1


def allow_only_stand_in(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the guard on, but let it take the stand-ins' address, 127.0.0.1, for a public
    one; every other address is classified as in production."""
    real = outbound.forbidden_reason
    stand_in_address = ipaddress.ip_address("127.0.0.1")
    monkeypatch.setattr(
        outbound, "forbidden_reason", lambda address: None if address == stand_in_address else real(address)
    )


async def test_the_connection_goes_to_the_address_that_was_checked(
    stand_in: tuple[StandIn, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # DNS rebinding: rebind.example answers with an allowed address when checked and
    # with a private one afterwards. Only one lookup may happen, and it is the one checked.
    allow_only_stand_in(monkeypatch)
    loop = asyncio.get_running_loop()
    real_getaddrinfo = loop.getaddrinfo
    answers = iter(["127.0.0.1", "10.0.0.5", "10.0.0.5"])
    lookups: list[str] = []

    async def getaddrinfo(host: Any, port: Any, **kwargs: Any) -> Any:
        if host != "rebind.example":
            return await real_getaddrinfo(host, port, **kwargs)
        lookups.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

    monkeypatch.setattr(loop, "getaddrinfo", getaddrinfo)
    app, base = stand_in
    port = base.rsplit(":", 1)[1]
    async with Outbound(settings(OUTBOUND_CONNECT_TIMEOUT_SECONDS="0.5")) as http:
        response = await http.get(f"http://rebind.example:{port}/json")
        with pytest.raises(OutboundError) as caught:
            # A new connection looks up again, and the private answer is refused.
            await http.get(f"http://rebind.example:{int(port) + 1}/json")
    assert response.json() == {"ok": True}
    assert app.requests[0]["headers"]["host"] == f"rebind.example:{port}"
    assert lookups == ["rebind.example", "rebind.example"]
    assert caught.value.reason == "resolves to a private address 10.0.0.5"


# Redirects.


async def test_redirects_are_followed_up_to_the_limit(stand_in: tuple[StandIn, str]) -> None:
    app, base = stand_in
    async with Outbound(open_settings(OUTBOUND_MAX_REDIRECTS="3")) as http:
        response = await http.get(f"{base}/redirect/3")
    assert response.json() == {"ok": True}
    assert response.url == f"{base}/json"
    assert app.paths() == ["/redirect/3", "/redirect/2", "/redirect/1", "/json"]


async def test_one_redirect_too_many_is_refused_before_it_is_followed(stand_in: tuple[StandIn, str]) -> None:
    app, base = stand_in
    error = await failure(open_settings(OUTBOUND_MAX_REDIRECTS="3"), f"{base}/redirect/4")
    assert str(error) == f"{base}/redirect/1: too many redirects (more than 3)"
    assert app.paths() == ["/redirect/4", "/redirect/3", "/redirect/2", "/redirect/1"]


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("http://10.0.0.5:8080/admin", "is a private address 10.0.0.5"),
        ("http://169.254.169.254/latest/meta-data/", "is a link-local address 169.254.169.254"),
        ("http://[::1]:6379/", "is a loopback address ::1"),
        ("http://[::ffff:192.168.0.1]/", "is a private address ::ffff:192.168.0.1"),
    ],
)
async def test_every_redirect_hop_is_checked_by_the_guard(
    stand_in: tuple[StandIn, str], monkeypatch: pytest.MonkeyPatch, target: str, reason: str
) -> None:
    allow_only_stand_in(monkeypatch)
    app, base = stand_in
    async with Outbound(settings()) as http:
        assert (await http.get(f"{base}/json")).status == 200
        with pytest.raises(OutboundError) as caught:
            await http.get(f"{base}/to", params={"url": target})
    assert str(caught.value) == f"{target}: {reason}"
    assert app.paths() == ["/json", "/to"]


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("file:///etc/passwd", "only http and https URLs are allowed"),
        ("gopher://127.0.0.1:70/", "only http and https URLs are allowed"),
        ("http://admin:hunter2@127.0.0.1/", "credentials in URLs are not allowed"),
    ],
)
async def test_redirects_to_other_schemes_or_with_credentials_are_refused(
    stand_in: tuple[StandIn, str], target: str, reason: str
) -> None:
    app, base = stand_in
    error = await failure(open_settings(), f"{base}/to", params={"url": target})
    assert error.reason == reason
    assert "hunter2" not in str(error)
    assert app.paths() == ["/to"]


async def test_redirects_do_not_carry_credentials_or_signatures(stand_in: tuple[StandIn, str]) -> None:
    app, base = stand_in
    headers = {"Accept": "application/activity+json", "Authorization": "Bearer secret", "Signature": "sig"}
    async with Outbound(open_settings()) as http:
        response = await http.get(f"{base}/to", params={"url": "/echo"}, headers=headers)
    first, second = app.requests
    assert first["headers"]["authorization"] == "Bearer secret"
    assert second["headers"]["accept"] == "application/activity+json"
    assert "authorization" not in second["headers"]
    assert "signature" not in second["headers"]
    assert response.json()["method"] == "GET"


async def test_post_sends_the_body_and_does_not_follow_redirects(stand_in: tuple[StandIn, str]) -> None:
    app, base = stand_in
    async with Outbound(open_settings()) as http:
        response = await http.post(
            f"{base}/echo", content=b'{"type": "Follow"}', headers={"Content-Type": "application/activity+json"}
        )
        with pytest.raises(OutboundError) as caught:
            await http.post(f"{base}/to?url=/echo&status=307", content=b"{}")
    echoed = response.json()
    assert (echoed["method"], echoed["body"]) == ("POST", '{"type": "Follow"}')
    assert echoed["headers"]["content-type"] == "application/activity+json"
    assert caught.value.status == 307
    # The refusal's headers come with it, for a caller that reads what the server asked.
    assert caught.value.headers is not None
    assert caught.value.headers["location"] == "/echo"
    assert str(caught.value) == f"{base}/to: HTTP 307"
    assert app.paths() == ["/echo", "/to"]


# Limits.


async def test_body_of_exactly_the_limit_is_accepted(stand_in: tuple[StandIn, str]) -> None:
    _, base = stand_in
    async with Outbound(open_settings(OUTBOUND_MAX_RESPONSE_BYTES="1000")) as http:
        response = await http.get(f"{base}/sized", params={"size": 1000})
    assert response.content == b"x" * 1000


async def test_announced_content_length_over_the_limit_is_refused(stand_in: tuple[StandIn, str]) -> None:
    _, base = stand_in
    error = await failure(open_settings(OUTBOUND_MAX_RESPONSE_BYTES="1000"), f"{base}/sized", params={"size": 1001})
    assert str(error) == f"{base}/sized: response larger than 1 kB (Content-Length 1001)"
    assert not error.retryable


async def test_announced_content_length_is_refused_before_the_body_arrives(stand_in: tuple[StandIn, str]) -> None:
    _, base = stand_in
    started = time.monotonic()
    error = await failure(open_settings(OUTBOUND_MAX_RESPONSE_BYTES="5000000"), f"{base}/announce")
    assert error.reason == "response larger than 5 MB (Content-Length 1000000000)"
    assert time.monotonic() - started < 1


async def test_chunked_body_is_cut_off_once_past_the_limit(stand_in: tuple[StandIn, str]) -> None:
    _, base = stand_in
    error = await failure(open_settings(OUTBOUND_MAX_RESPONSE_BYTES="1000"), f"{base}/chunked", params={"size": 5000})
    assert str(error) == f"{base}/chunked: response larger than 1 kB"


async def test_compressed_body_is_limited_by_its_unpacked_size(stand_in: tuple[StandIn, str]) -> None:
    _, base = stand_in
    limit = open_settings(OUTBOUND_MAX_RESPONSE_BYTES="10000")
    async with Outbound(limit) as http:
        assert (await http.get(f"{base}/gzip-bomb", params={"size": 10_000})).content == b"\0" * 10_000
    error = await failure(limit, f"{base}/gzip-bomb", params={"size": 1_000_000})
    assert error.reason == "response larger than 10 kB"


async def test_read_timeout(stand_in: tuple[StandIn, str]) -> None:
    _, base = stand_in
    error = await failure(open_settings(OUTBOUND_READ_TIMEOUT_SECONDS="0.2"), f"{base}/hang")
    assert str(error) == f"{base}/hang: timed out after 0.2 s waiting for data"
    assert error.retryable


async def test_total_timeout_stops_a_server_that_never_finishes(stand_in: tuple[StandIn, str]) -> None:
    _, base = stand_in
    started = time.monotonic()
    error = await failure(open_settings(OUTBOUND_TOTAL_TIMEOUT_SECONDS="0.5"), f"{base}/trickle")
    assert str(error) == f"{base}/trickle: timed out after 0.5 s in total"
    assert error.retryable
    assert time.monotonic() - started < 2


async def test_refused_connection_is_retryable() -> None:
    with bind("127.0.0.1", 0) as unused:
        port = unused.getsockname()[1]
    error = await failure(open_settings(), f"http://127.0.0.1:{port}/")
    assert error.reason.startswith("connection failed")
    assert error.retryable


# URLs, statuses and bodies.


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://127.0.0.1/file", "only http and https URLs are allowed"),
        ("file:///etc/passwd", "only http and https URLs are allowed"),
        ("javascript:alert(1)", "only http and https URLs are allowed"),
        ("/relative/path", "only http and https URLs are allowed"),
        ("http:///no-host", "the URL names no host"),
        ("http://[::1/", "not a valid URL (Invalid port: ':1')"),
    ],
)
async def test_urls_that_are_not_http_are_refused(url: str, reason: str) -> None:
    error = await failure(open_settings(), url)
    assert error.reason == reason


async def test_credentials_in_urls_are_refused_and_never_shown(stand_in: tuple[StandIn, str]) -> None:
    app, base = stand_in
    error = await failure(open_settings(), base.replace("http://", "http://admin:hunter2@") + "/json")
    assert str(error) == f"{base}/json: credentials in URLs are not allowed"
    assert (error.status, error.headers) == (None, None)
    assert app.requests == []


async def test_error_status_names_the_url_without_its_query(stand_in: tuple[StandIn, str]) -> None:
    _, base = stand_in
    missing = await failure(open_settings(), f"{base}/status/404?key=secret-api-key", params={"page": 2})
    assert str(missing) == f"{base}/status/404: HTTP 404"
    assert (missing.status, missing.retryable) == (404, False)
    unavailable = await failure(open_settings(), f"{base}/status/503")
    assert (unavailable.status, unavailable.retryable) == (503, True)


async def test_params_join_the_query(stand_in: tuple[StandIn, str]) -> None:
    _, base = stand_in
    async with Outbound(open_settings()) as http:
        response = await http.get(f"{base}/json?key=k", params={"page": 2, "limit": "all"})
    assert response.url == f"{base}/json?key=k&page=2&limit=all"


async def test_invalid_json_is_an_outbound_error(stand_in: tuple[StandIn, str]) -> None:
    _, base = stand_in
    async with Outbound(open_settings()) as http:
        response = await http.get(f"{base}/not-json?key=secret")
    with pytest.raises(OutboundError) as caught:
        response.json()
    assert str(caught.value).startswith(f"{base}/not-json: the response is not valid JSON (")
    assert "secret" not in str(caught.value)


async def test_proxies_from_the_environment_are_ignored(
    stand_in: tuple[StandIn, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A proxy would resolve and connect on our behalf, out of the guard's reach.
    app, base = stand_in
    proxy = StandIn()
    async with serving(proxy) as proxy_url:
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
            monkeypatch.setenv(name, proxy_url)
        async with Outbound(open_settings()) as http:
            await http.get(f"{base}/json")
    assert app.paths() == ["/json"]
    assert proxy.requests == []


# TLS: the connection goes to a vetted address, the certificate is checked against the URL's host.


@contextlib.asynccontextmanager
async def serving_tls(app: StandIn, cert: Path, key: Path) -> AsyncIterator[int]:
    """Like tests.helpers.serving, over TLS; yields the port."""
    sock = bind("127.0.0.1", 0)
    config = uvicorn.Config(
        app, log_config=None, lifespan="off", access_log=False, ssl_certfile=str(cert), ssl_keyfile=str(key)
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        await task
        sock.close()


def certificate_authority(directory: Path) -> tuple[Path, Path, Path]:
    """A CA and a certificate it issued for the name localhost only; returns (ca, cert, key) files."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = directory / "ca.pem", directory / "cert.pem", directory / "key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return paths


async def test_tls_verifies_the_url_host_although_the_connection_goes_to_an_address(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ca, cert, key = certificate_authority(tmp_path)
    # The one test-only change: trust the test CA instead of the public ones.
    monkeypatch.setattr(httpx, "create_ssl_context", lambda **_: ssl.create_default_context(cafile=str(ca)))
    app = StandIn()
    async with serving_tls(app, cert, key) as port, Outbound(open_settings()) as http:
        response = await http.get(f"https://localhost:{port}/json")
        with pytest.raises(OutboundError) as caught:
            # The same server by address: its certificate does not name 127.0.0.1.
            await http.get(f"https://127.0.0.1:{port}/json")
    assert response.json() == {"ok": True}
    assert "certificate verify failed" in caught.value.reason.lower()
    assert "127.0.0.1" in caught.value.reason
    assert app.paths() == ["/json"]


# Settings.


def test_outbound_settings_defaults() -> None:
    loaded = load_settings({})
    assert loaded.outbound_allow_private is False
    assert loaded.outbound_max_response_bytes == 10_000_000
    assert loaded.outbound_max_redirects == 5
    assert (loaded.outbound_connect_timeout, loaded.outbound_read_timeout, loaded.outbound_total_timeout) == (
        5.0,
        10.0,
        30.0,
    )


def test_the_guard_cannot_be_lifted_in_production() -> None:
    with pytest.raises(ConfigError, match="OUTBOUND_ALLOW_PRIVATE"):
        load_settings({"OUTBOUND_ALLOW_PRIVATE": "true", "ROSEASH_ENV": "production"})
    assert load_settings({"OUTBOUND_ALLOW_PRIVATE": "true", "ROSEASH_ENV": "test"}).outbound_allow_private


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("OUTBOUND_ALLOW_PRIVATE", "perhaps"),
        ("OUTBOUND_CONNECT_TIMEOUT_SECONDS", "0"),
        ("OUTBOUND_READ_TIMEOUT_SECONDS", "soon"),
        ("OUTBOUND_TOTAL_TIMEOUT_SECONDS", "-1"),
        ("OUTBOUND_MAX_RESPONSE_BYTES", "0"),
        ("OUTBOUND_MAX_RESPONSE_BYTES", "5MB"),
        ("OUTBOUND_MAX_REDIRECTS", "21"),
    ],
)
def test_malformed_outbound_settings_are_named(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        load_settings({name: value})
