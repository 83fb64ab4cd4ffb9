"""Every setting, read from environment variables in one place and validated at start."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import formataddr, parseaddr
from pathlib import Path
from urllib.parse import unquote, urlsplit

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
LOG_FORMATS = ("json", "text")
ENVIRONMENTS = ("development", "test", "production")
_CLIENT_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

# The variables this module reads, with what each is for; docker-compose.yml and
# the README are checked against this list.
VARIABLES: dict[str, str] = {
    "DATABASE_URL": "postgresql://user@host/db or sqlite:///path; default SQLite under VAR_DIR",
    "REDIS_URL": "redis://host:port/db; without it the cache lives in process memory",
    "VAR_DIR": "where the embedded default keeps its SQLite file; default var/ in the working directory",
    "HOST": "interface to listen on; default 127.0.0.1",
    "PORT": "port to listen on; default is the service's own port",
    "PUBLIC_URL": "the address users reach the platform at; default http://127.0.0.1:8000",
    "LOG_LEVEL": "DEBUG, INFO, WARNING or ERROR; default INFO",
    "LOG_FORMAT": "json or text; default json",
    "ROSEASH_ENV": "development, test or production; default development",
    "DB_POOL_SIZE": "connections per process for PostgreSQL; default 10",
    "WORKER_POLL_SECONDS": "how often an idle worker looks for work; default 1.0",
    "SEED_DEMO_DATA": "load demo data once at start of the embedded default; default true",
    "SUPERGRAPH_PATH": "the supergraph SDL the router serves; default schema/supergraph.graphql",
    "SUBGRAPH_TIMEOUT_SECONDS": "how long the router waits for a subgraph; default 30",
    "SUBGRAPH_TIMEOUTS": "per-subgraph overrides, as name=seconds pairs: reviews=2,products=5",
    "SUBGRAPH_URLS": "compose at start from running subgraphs instead of SUPERGRAPH_PATH: name=url pairs",
    "ROUTER_ADMIN_SECRET": "enables POST /admin/recompose for callers presenting it as a bearer token",
    "OUTBOUND_CONNECT_TIMEOUT_SECONDS": "fetching URLs others gave us: how long to wait for a connection; default 5",
    "OUTBOUND_READ_TIMEOUT_SECONDS": "fetching URLs others gave us: how long to wait for the next data; default 10",
    "OUTBOUND_TOTAL_TIMEOUT_SECONDS": "fetching URLs others gave us: the most one fetch may take, redirects included; "
    "default 30",
    "OUTBOUND_MAX_RESPONSE_BYTES": "fetching URLs others gave us: the largest response body accepted; default 10000000",
    "OUTBOUND_MAX_REDIRECTS": "fetching URLs others gave us: how many redirects one fetch follows; default 5",
    "OUTBOUND_ALLOW_PRIVATE": "for tests and development only, refused in production: let fetches of URLs others "
    "gave us reach private, loopback and link-local addresses; default false",
    "GHOST_WEBHOOK_SECRET": "the secret of the Ghost webhooks pointing at the blog's /ghost/webhook (at least 16 "
    "characters); without it that endpoint answers 503",
    "SMTP_URL": "the mail server: smtp://[user:password@]host[:port] (plain, port 25), smtp+starttls:// (587) or "
    "smtps:// (465); without it mail is written to files under VAR_DIR/mail, or in production waits unsent",
    "MAIL_FROM": "the sender of the platform's mail: an address, or Name <address>; "
    "default Rose Ash <no-reply@localhost>",
    "OAUTH_ISSUER": "the OAuth 2 / OpenID Connect issuer: every token's iss, and where discovery is; "
    "default PUBLIC_URL",
    "OAUTH_AUDIENCE": "the aud of access tokens, naming the API they are for; default PUBLIC_URL/graphql",
    "OAUTH_JWKS_URL": "where the router and subgraphs fetch the keys access tokens are signed with; "
    "default PUBLIC_URL/.well-known/jwks.json",
    "OAUTH_FIRST_PARTY_CLIENTS": "the platform's own web apps, as client_id=redirect_uri pairs (repeat an id for more "
    "URIs): public clients using PKCE, never shown a consent page, sent back after logout to the origin of a redirect "
    "URI followed by /; default web=PUBLIC_URL/auth/callback",
    "WEB_ROUTER_URL": "the GraphQL endpoint the web site's pages query; default PUBLIC_URL/graphql",
    "ACTIVITYPUB_URL": "where the ActivityPub sidecar's actors, inboxes and collections live (actor ids, so never "
    "change it once peers know them); default PUBLIC_URL/activitypub. Its well-known paths (/.well-known/webfinger, "
    "host-meta, nodeinfo) stay at the root of PUBLIC_URL",
    "ACTIVITYPUB_ROUTER_URL": "the GraphQL endpoint the ActivityPub sidecar reads members and posts from; "
    "default PUBLIC_URL/graphql",
    "ACTIVITYPUB_MAX_INBOX_BYTES": "the largest activity an ActivityPub inbox accepts, in bytes; default 1000000",
    "ACTIVITYPUB_INBOX_RATE_LIMIT": "how many requests one remote host may send the ActivityPub inboxes per minute; "
    "default 300",
    "ACTIVITYPUB_DELIVERY_CONCURRENCY": "how many ActivityPub deliveries one worker sends at once; default 32",
    "ACTIVITYPUB_DELIVERY_HOST_CONCURRENCY": "how many of those may go to one remote host at once; default 4",
}


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


# SMTP_URL schemes: how the connection is secured, and its usual port.
SMTP_SCHEMES: dict[str, tuple[str, int]] = {
    "smtp": ("none", 25),
    "smtp+starttls": ("starttls", 587),
    "smtps": ("tls", 465),
}


@dataclass(frozen=True, slots=True)
class SmtpServer:
    host: str
    port: int
    security: str  # "none", "starttls" or "tls"
    username: str | None = None
    password: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str
    redis_url: str | None
    var_dir: Path
    host: str
    port: int | None
    public_url: str
    log_level: str
    log_format: str
    environment: str
    db_pool_size: int
    worker_poll_seconds: float
    seed_demo_data: bool
    supergraph_path: Path
    subgraph_timeout: float
    subgraph_timeouts: dict[str, float]
    subgraph_urls: dict[str, str]
    router_admin_secret: str | None
    outbound_connect_timeout: float
    outbound_read_timeout: float
    outbound_total_timeout: float
    outbound_max_response_bytes: int
    outbound_max_redirects: int
    outbound_allow_private: bool
    ghost_webhook_secret: str | None
    smtp: SmtpServer | None
    mail_from: str
    oauth_issuer: str
    oauth_audience: str
    oauth_jwks_url: str
    oauth_first_party_clients: dict[str, tuple[str, ...]]
    web_router_url: str
    activitypub_url: str
    activitypub_router_url: str
    activitypub_max_inbox_bytes: int
    activitypub_inbox_rate_limit: int
    activitypub_delivery_concurrency: int
    activitypub_delivery_host_concurrency: int

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ

    def get(name: str) -> str | None:
        value = env.get(name)
        return value.strip() if value is not None and value.strip() else None

    var_dir = Path(get("VAR_DIR") or "var").resolve()
    raw_db = get("DATABASE_URL") or f"sqlite:///{var_dir / 'roseash.db'}"
    environment = _choice("ROSEASH_ENV", get("ROSEASH_ENV") or "development", ENVIRONMENTS)
    public_url = _http_url("PUBLIC_URL", get("PUBLIC_URL") or "http://127.0.0.1:8000")
    return Settings(
        database_url=normalise_database_url(raw_db),
        redis_url=_redis_url(get("REDIS_URL")),
        var_dir=var_dir,
        host=get("HOST") or "127.0.0.1",
        port=_integer("PORT", get("PORT"), None, 1, 65535),
        public_url=public_url,
        log_level=_choice("LOG_LEVEL", (get("LOG_LEVEL") or "INFO").upper(), LOG_LEVELS),
        log_format=_choice("LOG_FORMAT", (get("LOG_FORMAT") or "json").lower(), LOG_FORMATS),
        environment=environment,
        db_pool_size=_integer("DB_POOL_SIZE", get("DB_POOL_SIZE"), 10, 1, 500) or 10,
        worker_poll_seconds=_positive_float("WORKER_POLL_SECONDS", get("WORKER_POLL_SECONDS"), 1.0),
        seed_demo_data=_boolean("SEED_DEMO_DATA", get("SEED_DEMO_DATA"), True),
        supergraph_path=Path(get("SUPERGRAPH_PATH") or "schema/supergraph.graphql").resolve(),
        subgraph_timeout=_positive_float("SUBGRAPH_TIMEOUT_SECONDS", get("SUBGRAPH_TIMEOUT_SECONDS"), 30.0),
        subgraph_timeouts=_timeouts(get("SUBGRAPH_TIMEOUTS")),
        subgraph_urls=_urls(get("SUBGRAPH_URLS")),
        router_admin_secret=_secret("ROUTER_ADMIN_SECRET", get("ROUTER_ADMIN_SECRET")),
        outbound_connect_timeout=_positive_float(
            "OUTBOUND_CONNECT_TIMEOUT_SECONDS", get("OUTBOUND_CONNECT_TIMEOUT_SECONDS"), 5.0
        ),
        outbound_read_timeout=_positive_float(
            "OUTBOUND_READ_TIMEOUT_SECONDS", get("OUTBOUND_READ_TIMEOUT_SECONDS"), 10.0
        ),
        outbound_total_timeout=_positive_float(
            "OUTBOUND_TOTAL_TIMEOUT_SECONDS", get("OUTBOUND_TOTAL_TIMEOUT_SECONDS"), 30.0
        ),
        outbound_max_response_bytes=_integer(
            "OUTBOUND_MAX_RESPONSE_BYTES", get("OUTBOUND_MAX_RESPONSE_BYTES"), 10_000_000, 1, 1_000_000_000
        )
        or 10_000_000,
        outbound_max_redirects=_integer("OUTBOUND_MAX_REDIRECTS", get("OUTBOUND_MAX_REDIRECTS"), 5, 0, 20) or 0,
        outbound_allow_private=_allow_private(get("OUTBOUND_ALLOW_PRIVATE"), environment),
        ghost_webhook_secret=_secret("GHOST_WEBHOOK_SECRET", get("GHOST_WEBHOOK_SECRET")),
        smtp=_smtp_server(get("SMTP_URL")),
        mail_from=_mail_from(get("MAIL_FROM") or "Rose Ash <no-reply@localhost>"),
        oauth_issuer=_http_url("OAUTH_ISSUER", get("OAUTH_ISSUER") or public_url),
        oauth_audience=_http_url("OAUTH_AUDIENCE", get("OAUTH_AUDIENCE") or f"{public_url}/graphql"),
        oauth_jwks_url=_http_url("OAUTH_JWKS_URL", get("OAUTH_JWKS_URL") or f"{public_url}/.well-known/jwks.json"),
        oauth_first_party_clients=_first_party_clients(
            get("OAUTH_FIRST_PARTY_CLIENTS") or f"web={public_url}/auth/callback"
        ),
        web_router_url=_http_url("WEB_ROUTER_URL", get("WEB_ROUTER_URL") or f"{public_url}/graphql"),
        activitypub_url=_http_url("ACTIVITYPUB_URL", get("ACTIVITYPUB_URL") or f"{public_url}/activitypub"),
        activitypub_router_url=_http_url(
            "ACTIVITYPUB_ROUTER_URL", get("ACTIVITYPUB_ROUTER_URL") or f"{public_url}/graphql"
        ),
        activitypub_max_inbox_bytes=_integer(
            "ACTIVITYPUB_MAX_INBOX_BYTES", get("ACTIVITYPUB_MAX_INBOX_BYTES"), 1_000_000, 1_000, 100_000_000
        )
        or 1_000_000,
        activitypub_inbox_rate_limit=_integer(
            "ACTIVITYPUB_INBOX_RATE_LIMIT", get("ACTIVITYPUB_INBOX_RATE_LIMIT"), 300, 1, 1_000_000
        )
        or 300,
        # At most the guarded HTTP client's pool of connections (100): more would only wait for one.
        activitypub_delivery_concurrency=_integer(
            "ACTIVITYPUB_DELIVERY_CONCURRENCY", get("ACTIVITYPUB_DELIVERY_CONCURRENCY"), 32, 1, 100
        )
        or 32,
        activitypub_delivery_host_concurrency=_integer(
            "ACTIVITYPUB_DELIVERY_HOST_CONCURRENCY", get("ACTIVITYPUB_DELIVERY_HOST_CONCURRENCY"), 4, 1, 100
        )
        or 4,
    )


def normalise_database_url(raw: str) -> str:
    """Accept the common spellings and return a URL with our async driver named."""
    try:
        url = make_url(raw)
    except ArgumentError:
        raise ConfigError(
            f"DATABASE_URL is not a database URL: {raw!r}; "
            "expected postgresql://user@host:port/name or sqlite:///path/to/file.db"
        ) from None
    backend = url.get_backend_name()
    if backend in ("postgresql", "postgres"):
        if not url.database:
            raise ConfigError(f"DATABASE_URL names no database: {_safe(url)}")
        return _render(url.set(drivername="postgresql+asyncpg"))
    if backend == "sqlite":
        if not url.database or url.database == ":memory:":
            # Each connection would see its own empty database.
            raise ConfigError("DATABASE_URL must name a SQLite file, not an in-memory database")
        return _render(url.set(drivername="sqlite+aiosqlite"))
    raise ConfigError(f"DATABASE_URL uses an unsupported database {backend!r}; use postgresql:// or sqlite:///")


def _render(url: URL) -> str:
    return url.render_as_string(hide_password=False)


def _safe(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def _redis_url(raw: str | None) -> str | None:
    if raw is None:
        return None
    scheme, sep, rest = raw.partition("://")
    if not sep or scheme not in ("redis", "rediss", "unix") or not rest:
        raise ConfigError(f"REDIS_URL is not a Redis URL: {raw!r}; expected redis://host:6379/0")
    return raw


def _http_url(name: str, raw: str) -> str:
    scheme, sep, rest = raw.partition("://")
    if not sep or scheme not in ("http", "https") or not rest:
        raise ConfigError(f"{name} must be an http:// or https:// URL, got {raw!r}")
    return raw.rstrip("/")


def _choice(name: str, raw: str, choices: tuple[str, ...]) -> str:
    if raw not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}; got {raw!r}")
    return raw


def _integer(name: str, raw: str | None, default: int | None, low: int, high: int) -> int | None:
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _positive_float(name: str, raw: str | None, default: float) -> float:
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be greater than 0, got {raw!r}")
    return value


def _timeouts(raw: str | None) -> dict[str, float]:
    timeouts: dict[str, float] = {}
    for pair in (raw or "").split(","):
        if not pair.strip():
            continue
        name, sep, seconds = pair.partition("=")
        if not sep or not name.strip():
            raise ConfigError(f"SUBGRAPH_TIMEOUTS must be name=seconds pairs separated by commas, got {pair!r}")
        timeouts[name.strip()] = _positive_float("SUBGRAPH_TIMEOUTS", seconds.strip(), 0.0)
    return timeouts


def _urls(raw: str | None) -> dict[str, str]:
    urls: dict[str, str] = {}
    for pair in (raw or "").split(","):
        if not pair.strip():
            continue
        name, sep, url = pair.partition("=")
        if not sep or not name.strip():
            raise ConfigError(f"SUBGRAPH_URLS must be name=url pairs separated by commas, got {pair!r}")
        urls[name.strip()] = _http_url("SUBGRAPH_URLS", url.strip())
    return urls


def _secret(name: str, raw: str | None) -> str | None:
    if raw is not None and len(raw) < 16:
        raise ConfigError(f"{name} must be at least 16 characters long")
    return raw


def _allow_private(raw: str | None, environment: str) -> bool:
    allow = _boolean("OUTBOUND_ALLOW_PRIVATE", raw, False)
    if allow and environment == "production":
        # The guard is what keeps URLs from strangers off our own network; only a test machine may lift it.
        raise ConfigError(
            "OUTBOUND_ALLOW_PRIVATE is for tests and development; it cannot be on when ROSEASH_ENV is production"
        )
    return allow


def _smtp_server(raw: str | None) -> SmtpServer | None:
    if raw is None:
        return None
    try:
        parts = urlsplit(raw)
        port = parts.port
        valid = parts.scheme in SMTP_SCHEMES and bool(parts.hostname) and parts.path in ("", "/")
    except ValueError:  # a port that is not a number or out of range, a broken IPv6 address
        valid = False
    if not valid:
        password = urlsplit(raw).password if "[" not in raw else None
        shown = raw.replace(f":{password}@", ":***@") if password else raw  # the password stays out of logs
        raise ConfigError(
            f"SMTP_URL must be smtp://[user:password@]host[:port], smtp+starttls://... or smtps://...; got {shown!r}"
        )
    security, default_port = SMTP_SCHEMES[parts.scheme]
    return SmtpServer(
        host=parts.hostname or "",
        port=port or default_port,
        security=security,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def _mail_from(raw: str) -> str:
    name, address = parseaddr(raw)
    local, _, domain = address.rpartition("@")
    malformed = any(c.isspace() for c in address) or any(not c.isprintable() for c in raw)
    if not local or ("." not in domain and domain != "localhost") or malformed:
        raise ConfigError(f"MAIL_FROM must be an address like no-reply@example.org or Name <address>; got {raw!r}")
    return formataddr((name, address))


def _first_party_clients(raw: str) -> dict[str, tuple[str, ...]]:
    clients: dict[str, tuple[str, ...]] = {}
    for pair in raw.split(","):
        if not pair.strip():
            continue
        client_id, sep, uri = (part.strip() for part in pair.partition("="))
        try:
            parts = urlsplit(uri)
            valid = bool(sep and _CLIENT_ID.match(client_id) and parts.scheme in ("http", "https") and parts.hostname)
        except ValueError:  # a broken IPv6 address
            valid = False
        # Redirect URIs are matched exactly, so they are kept exactly as given.
        if not valid:
            raise ConfigError(
                f"OAUTH_FIRST_PARTY_CLIENTS must be client_id=redirect_uri pairs separated by commas, "
                f"with http(s) URIs; got {pair!r}"
            )
        if parts.fragment:
            raise ConfigError(f"OAUTH_FIRST_PARTY_CLIENTS: a redirect URI cannot have a #fragment; got {uri!r}")
        clients[client_id] = (*clients.get(client_id, ()), uri)
    return clients


def _boolean(name: str, raw: str | None, default: bool) -> bool:
    if raw is None:
        return default
    lowered = raw.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")
