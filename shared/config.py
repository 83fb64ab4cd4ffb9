"""Every setting, read from environment variables in one place and validated at start."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
LOG_FORMATS = ("json", "text")
ENVIRONMENTS = ("development", "test", "production")

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
}


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


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
    return Settings(
        database_url=normalise_database_url(raw_db),
        redis_url=_redis_url(get("REDIS_URL")),
        var_dir=var_dir,
        host=get("HOST") or "127.0.0.1",
        port=_integer("PORT", get("PORT"), None, 1, 65535),
        public_url=_http_url("PUBLIC_URL", get("PUBLIC_URL") or "http://127.0.0.1:8000"),
        log_level=_choice("LOG_LEVEL", (get("LOG_LEVEL") or "INFO").upper(), LOG_LEVELS),
        log_format=_choice("LOG_FORMAT", (get("LOG_FORMAT") or "json").lower(), LOG_FORMATS),
        environment=_choice("ROSEASH_ENV", get("ROSEASH_ENV") or "development", ENVIRONMENTS),
        db_pool_size=_integer("DB_POOL_SIZE", get("DB_POOL_SIZE"), 10, 1, 500) or 10,
        worker_poll_seconds=_positive_float("WORKER_POLL_SECONDS", get("WORKER_POLL_SECONDS"), 1.0),
        seed_demo_data=_boolean("SEED_DEMO_DATA", get("SEED_DEMO_DATA"), True),
        supergraph_path=Path(get("SUPERGRAPH_PATH") or "schema/supergraph.graphql").resolve(),
        subgraph_timeout=_positive_float("SUBGRAPH_TIMEOUT_SECONDS", get("SUBGRAPH_TIMEOUT_SECONDS"), 30.0),
        subgraph_timeouts=_timeouts(get("SUBGRAPH_TIMEOUTS")),
        subgraph_urls=_urls(get("SUBGRAPH_URLS")),
        router_admin_secret=_secret("ROUTER_ADMIN_SECRET", get("ROUTER_ADMIN_SECRET")),
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


def _boolean(name: str, raw: str | None, default: bool) -> bool:
    if raw is None:
        return default
    lowered = raw.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")
