"""The parts of a request's target URI that signatures cover.

Both schemes sign parts of the URI the client used (`(request-target)`,
`@target-uri`, `@authority`, `@path`, `@query`), so the verifier must be given
the public URL of the request, not one rewritten by a proxy.
"""

from dataclasses import dataclass
from urllib.parse import urlsplit

from activitypub.signature_types import SignatureError

_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class TargetUri:
    uri: str
    scheme: str
    authority: str
    path: str
    query: str | None

    @property
    def request_target(self) -> str:
        """The origin-form request target: the path and, when there is one, the query."""
        return self.path if self.query is None else f"{self.path}?{self.query}"


def parse_target_uri(url: str) -> TargetUri:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise SignatureError(f"request URL is not valid: {error}") from None
    if not parts.scheme or not parts.hostname:
        raise SignatureError(f"request URL must be absolute: {url!r}")
    scheme = parts.scheme.lower()
    # RFC 9421 section 2.2.3: the authority is lowercased and loses a default port.
    authority = parts.netloc.rpartition("@")[2].lower()
    if port is not None and port == _DEFAULT_PORTS.get(scheme):
        authority = authority.rpartition(":")[0]
    return TargetUri(url, scheme, authority, parts.path or "/", parts.query or None)
