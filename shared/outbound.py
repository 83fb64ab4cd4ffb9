"""The one way to fetch a URL someone else gave us: Ghost sync, scraping, ActivityPub fetches and deliveries.

A URL from outside may point anywhere, including at our own network (the
database, Redis, a cloud metadata service at 169.254.169.254). So every
connection goes through a network backend that resolves the host itself,
refuses private, loopback, link-local and other non-public addresses, and then
connects to the very address it vetted: a name that resolves to a public
address when checked and to 127.0.0.1 a moment later (DNS rebinding) never
gets a second lookup. TLS still runs against the host name in the URL, so
certificates are verified as usual. Redirects are followed here, hop by hop,
and every hop opens its connections through the same guard.

Bodies are read as they stream and abandoned once they pass the size limit;
each fetch has connect, read and total deadlines. Every failure is an
`OutboundError` naming the URL (never its credentials or query, which may hold
API keys) and the reason; callers turn it into their own errors.

One `Outbound` is meant for one use (an import run, a batch of deliveries):
its pool keeps connections alive within the use, and closing it drops them,
so no process holds idle sockets to strangers' servers between uses.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import re
import socket
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from importlib.metadata import version
from types import TracebackType
from typing import Any

import httpcore
import httpx
import orjson

from shared.config import Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
# Headers that vouch for the original request (credentials, signatures bound to its
# host and path); a redirect target, possibly someone else's server, does not get them.
_NOT_REDIRECTED = frozenset({"authorization", "cookie", "host", "signature", "signature-input"})
_USERINFO = re.compile(r"//[^/?#]*@")

_V4 = ipaddress.IPv4Network
_V6 = ipaddress.IPv6Network
# Non-public IPv4 ranges (IANA special-purpose registry), each with the words an error uses.
_FORBIDDEN_V4: tuple[tuple[ipaddress.IPv4Network, str], ...] = (
    (_V4("0.0.0.0/8"), "an unspecified address"),
    (_V4("10.0.0.0/8"), "a private address"),
    (_V4("100.64.0.0/10"), "a carrier-grade NAT address"),
    (_V4("127.0.0.0/8"), "a loopback address"),
    (_V4("169.254.0.0/16"), "a link-local address"),
    (_V4("172.16.0.0/12"), "a private address"),
    (_V4("192.0.0.0/24"), "a reserved address"),
    (_V4("192.0.2.0/24"), "a documentation address"),
    (_V4("192.88.99.0/24"), "a reserved address"),
    (_V4("192.168.0.0/16"), "a private address"),
    (_V4("198.18.0.0/15"), "a benchmarking address"),
    (_V4("198.51.100.0/24"), "a documentation address"),
    (_V4("203.0.113.0/24"), "a documentation address"),
    (_V4("224.0.0.0/4"), "a multicast address"),
    (_V4("240.0.0.0/4"), "a reserved address"),
)
_FORBIDDEN_V6: tuple[tuple[ipaddress.IPv6Network, str], ...] = (
    (_V6("::/128"), "an unspecified address"),
    (_V6("::1/128"), "a loopback address"),
    (_V6("fe80::/10"), "a link-local address"),
    (_V6("fc00::/7"), "a private address"),
    (_V6("ff00::/8"), "a multicast address"),
    (_V6("2001::/23"), "a reserved address"),
    (_V6("2001:db8::/32"), "a documentation address"),
    (_V6("3fff::/20"), "a documentation address"),
    (_V6("5f00::/16"), "a reserved address"),
)
# IPv6 forms that carry an IPv4 address, which is what they reach: mapped (::ffff:a.b.c.d),
# NAT64 (64:ff9b::a.b.c.d) and 6to4 (2002:aabb:ccdd::).
_NAT64 = _V6("64:ff9b::/96")
_GLOBAL_UNICAST = _V6("2000::/3")


def forbidden_reason(address: IPAddress) -> str | None:
    """Why `address` is not a public destination ("a private address"), or None when it is."""
    if isinstance(address, ipaddress.IPv4Address):
        return next((reason for network, reason in _FORBIDDEN_V4 if address in network), None)
    embedded = address.ipv4_mapped or address.sixtofour
    if embedded is None and address in _NAT64:
        embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if embedded is not None:
        return forbidden_reason(embedded)
    reason = next((reason for network, reason in _FORBIDDEN_V6 if address in network), None)
    if reason is None and address not in _GLOBAL_UNICAST:
        # Outside 2000::/3 nothing is public unicast: IPv4-compatible, discard, local NAT64...
        return "a reserved address"
    return reason


class OutboundError(Exception):
    """A fetch failed. `status` and `headers` are the server's when it answered with an error (a refusal can
    say what it wants, as Accept-Signature or Retry-After do); `retryable` says whether trying again later
    may succeed (timeouts, lost connections, 5xx, 429)."""

    def __init__(
        self,
        url: str,
        reason: str,
        *,
        status: int | None = None,
        headers: httpx.Headers | None = None,
        retryable: bool = False,
    ) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason
        self.status = status
        self.headers = headers
        self.retryable = retryable


@dataclass(frozen=True, slots=True)
class OutboundResponse:
    status: int
    headers: httpx.Headers
    content: bytes
    # Where the body came from, after redirects.
    url: str

    def json(self) -> Any:
        try:
            return orjson.loads(self.content)
        except orjson.JSONDecodeError as exc:
            raise OutboundError(_display_url(self.url), f"the response is not valid JSON ({exc})") from None


def _display_url(url: httpx.URL | str) -> str:
    """`url` fit for messages and logs: no credentials, query or fragment, which may carry secrets."""
    if isinstance(url, str):
        try:
            url = httpx.URL(url)
        except httpx.InvalidURL:
            return _USERINFO.sub("//", re.split(r"[?#]", url, maxsplit=1)[0])
    return str(url.copy_with(userinfo=b"", query=None, fragment=None))


class Outbound:
    """`async with Outbound(settings) as http: response = await http.get(url)`."""

    def __init__(self, settings: Settings) -> None:
        self._max_bytes = settings.outbound_max_response_bytes
        self._max_redirects = settings.outbound_max_redirects
        self._total_timeout = settings.outbound_total_timeout
        self._connect_timeout = settings.outbound_connect_timeout
        self._read_timeout = settings.outbound_read_timeout
        self._client = httpx.AsyncClient(
            transport=_GuardedTransport(allow_private=settings.outbound_allow_private),
            timeout=httpx.Timeout(
                connect=settings.outbound_connect_timeout,
                read=settings.outbound_read_timeout,
                write=settings.outbound_read_timeout,
                pool=settings.outbound_connect_timeout,
            ),
            headers={"User-Agent": f"RoseAsh/{version('roseash')} (+{settings.public_url}/)"},
            follow_redirects=False,
            # The environment could name a proxy, which would then resolve and connect for
            # us, out of the guard's reach, or supply .netrc credentials to strangers.
            trust_env=False,
        )

    async def __aenter__(self) -> Outbound:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        await self._client.aclose()

    async def get(
        self, url: str, *, headers: Mapping[str, str] | None = None, params: Mapping[str, str | int] | None = None
    ) -> OutboundResponse:
        """GET `url`, following redirects; `params` are added to its query (on the first request only)."""
        return await self._fetch("GET", url, headers or {}, params, None)

    async def post(self, url: str, *, content: bytes, headers: Mapping[str, str] | None = None) -> OutboundResponse:
        """POST `content` to `url`. Redirects are not followed: a signed delivery is bound to
        its target, and its body is not for whoever the target points us to."""
        return await self._fetch("POST", url, headers or {}, None, content)

    async def _fetch(
        self,
        method: str,
        raw_url: str,
        headers: Mapping[str, str],
        params: Mapping[str, str | int] | None,
        content: bytes | None,
    ) -> OutboundResponse:
        url = self._checked_url(raw_url)
        if params:
            url = url.copy_merge_params(params)
        try:
            async with asyncio.timeout(self._total_timeout):
                for hops in range(self._max_redirects + 1):
                    with self._mapped_errors(url):
                        request = self._client.build_request(method, url, headers=headers, content=content)
                        response = await self._client.send(request, stream=True)
                    if method != "GET" or response.status_code not in _REDIRECTS:
                        return await self._read(url, response)
                    await response.aclose()
                    location = response.headers.get("location")
                    if not location:
                        status = response.status_code
                        raise OutboundError(
                            _display_url(url),
                            f"HTTP {status} without a Location",
                            status=status,
                            headers=response.headers,
                        )
                    if hops == self._max_redirects:
                        break
                    try:
                        target = url.join(location)
                    except httpx.InvalidURL as exc:
                        raise OutboundError(_display_url(url), f"redirects to an invalid URL ({exc})") from None
                    url = self._checked_url(target)
                    headers = {name: value for name, value in headers.items() if name.lower() not in _NOT_REDIRECTED}
        except TimeoutError:
            raise OutboundError(
                _display_url(url), f"timed out after {self._total_timeout:g} s in total", retryable=True
            ) from None
        raise OutboundError(_display_url(url), f"too many redirects (more than {self._max_redirects})")

    @staticmethod
    def _checked_url(raw: str | httpx.URL) -> httpx.URL:
        try:
            url = httpx.URL(raw)
        except httpx.InvalidURL as exc:
            raise OutboundError(_display_url(str(raw)), f"not a valid URL ({exc})") from None
        if url.scheme not in ("http", "https"):
            raise OutboundError(_display_url(url), "only http and https URLs are allowed")
        if not url.host:
            raise OutboundError(_display_url(url), "the URL names no host")
        if url.userinfo:
            raise OutboundError(_display_url(url), "credentials in URLs are not allowed")
        return url

    async def _read(self, url: httpx.URL, response: httpx.Response) -> OutboundResponse:
        try:
            status = response.status_code
            if not 200 <= status < 300:
                raise OutboundError(
                    _display_url(url),
                    f"HTTP {status}",
                    status=status,
                    headers=response.headers,
                    retryable=status in (408, 429) or status >= 500,
                )
            announced = response.headers.get("content-length", "")
            if announced.isdigit() and int(announced) > self._max_bytes:
                raise OutboundError(
                    _display_url(url), f"response larger than {_size(self._max_bytes)} (Content-Length {announced})"
                )
            body = bytearray()
            with self._mapped_errors(url):
                # Counted after decompression, so a small compressed body cannot unpack into a large one.
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > self._max_bytes:
                        raise OutboundError(_display_url(url), f"response larger than {_size(self._max_bytes)}")
        finally:
            # Unread, the connection cannot be reused, so this closes it: the rest is never read.
            await response.aclose()
        return OutboundResponse(status=status, headers=response.headers, content=bytes(body), url=str(url))

    @contextlib.contextmanager
    def _mapped_errors(self, url: httpx.URL) -> Iterator[None]:
        shown = _display_url(url)
        try:
            yield
        except _Refused as exc:
            raise OutboundError(shown, exc.reason) from None
        except (httpx.ConnectTimeout, httpx.PoolTimeout):
            raise OutboundError(
                shown, f"timed out after {self._connect_timeout:g} s connecting", retryable=True
            ) from None
        except httpx.TimeoutException:
            raise OutboundError(
                shown, f"timed out after {self._read_timeout:g} s waiting for data", retryable=True
            ) from None
        except httpx.LocalProtocolError as exc:
            raise OutboundError(shown, f"cannot send this request ({exc})") from None
        except httpx.TransportError as exc:
            raise OutboundError(shown, f"connection failed ({exc})", retryable=True) from None
        except httpx.DecodingError as exc:
            raise OutboundError(shown, f"cannot decode the response ({exc})") from None


def _size(count: int) -> str:
    for unit, factor in (("MB", 1_000_000), ("kB", 1_000)):
        if count >= factor and count % factor == 0:
            return f"{count // factor} {unit}"
    return f"{count} bytes"


class _Refused(Exception):
    """The guard refused a destination; raised inside httpcore, turned into an OutboundError above."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    """Connects only to addresses it resolved and vetted itself, never to a name."""

    def __init__(self, allow_private: bool) -> None:
        self._allow_private = allow_private
        self._network = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await _resolve(host, port, timeout)
        if not self._allow_private:
            literal = _is_literal(host)
            for address in addresses:
                reason = forbidden_reason(address)
                if reason is not None:
                    # One bad address refuses the host: a name that mixes public and
                    # private answers is an attempt, not an accident.
                    raise _Refused(f"{'is' if literal else 'resolves to'} {reason} {_shown(address)}")
        failure: httpcore.ConnectError | None = None
        for address in addresses:
            try:
                # An address literal: nothing is looked up again between the check and the connect.
                return await self._network.connect_tcp(
                    str(address), port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except httpcore.ConnectError as exc:
                failure = exc
        assert failure is not None  # _resolve returns at least one address
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise _Refused("Unix sockets are not reachable from outbound fetches")

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


async def _resolve(host: str, port: int, within: float | None) -> list[IPAddress]:
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(within):
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except TimeoutError:
        raise httpcore.ConnectTimeout(f"resolving {host} took longer than {within:g} s") from None
    except (socket.gaierror, UnicodeError) as exc:
        raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from None
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = ipaddress.ip_address(sockaddr[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise httpcore.ConnectError(f"cannot resolve {host}: no addresses")
    return addresses


def _shown(address: IPAddress) -> str:
    # Python 3.11 prints mapped addresses in hex (::ffff:7f00:1); people know them dotted.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return f"::ffff:{address.ipv4_mapped}"
    return str(address)


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class _GuardedTransport(httpx.AsyncHTTPTransport):
    def __init__(self, *, allow_private: bool) -> None:
        ssl_context = httpx.create_ssl_context(trust_env=False)
        super().__init__(verify=ssl_context, trust_env=False)
        # httpx 0.28 takes no network backend, so its pool is replaced by one that connects
        # through the guard; httpcore still starts TLS with the URL's host name for SNI and
        # certificate checks. The limits are httpx's defaults.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=100,
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
            network_backend=_GuardedBackend(allow_private),
        )
