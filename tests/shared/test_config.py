from pathlib import Path
from typing import ClassVar

import pytest

from shared.config import VARIABLES, ConfigError, load_settings


def test_defaults_are_the_embedded_platform(tmp_path: Path) -> None:
    settings = load_settings({"VAR_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path / 'roseash.db'}"
    assert settings.is_sqlite
    assert settings.redis_url is None
    assert settings.host == "127.0.0.1"
    assert settings.port is None
    assert settings.log_level == "INFO"
    assert settings.seed_demo_data is True


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u:p@db:5432/app", "postgresql+asyncpg://u:p@db:5432/app"),
        ("postgres://u@db/app", "postgresql+asyncpg://u@db/app"),
        ("postgresql+asyncpg://u@db/app", "postgresql+asyncpg://u@db/app"),
        ("sqlite:////srv/app.db", "sqlite+aiosqlite:////srv/app.db"),
    ],
)
def test_database_url_spellings_are_normalised(given: str, expected: str) -> None:
    assert load_settings({"DATABASE_URL": given}).database_url == expected


@pytest.mark.parametrize(
    ("given", "fragment"),
    [
        ("not a url", "DATABASE_URL is not a database URL"),
        ("mysql://u@db/app", "unsupported database 'mysql'"),
        ("postgresql://u@db", "names no database"),
        ("sqlite://", "must name a SQLite file"),
        ("sqlite:///:memory:", "must name a SQLite file"),
    ],
)
def test_malformed_database_url_is_refused_naming_the_variable(given: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({"DATABASE_URL": given})
    assert "DATABASE_URL" in str(caught.value)
    assert fragment in str(caught.value)


def test_per_subgraph_timeouts() -> None:
    settings = load_settings({"SUBGRAPH_TIMEOUTS": "reviews=2, products=0.5"})
    assert settings.subgraph_timeouts == {"reviews": 2.0, "products": 0.5}


def test_password_never_appears_in_config_errors() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({"DATABASE_URL": "postgresql://u:hunter2@db"})
    assert "hunter2" not in str(caught.value)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("REDIS_URL", "localhost:6379"),
        ("PORT", "eighty"),
        ("PORT", "70000"),
        ("LOG_LEVEL", "LOUD"),
        ("LOG_FORMAT", "xml"),
        ("ROSEASH_ENV", "staging"),
        ("PUBLIC_URL", "example.org"),
        ("DB_POOL_SIZE", "0"),
        ("WORKER_POLL_SECONDS", "-1"),
        ("SEED_DEMO_DATA", "maybe"),
        ("SUBGRAPH_TIMEOUT_SECONDS", "soon"),
        ("SUBGRAPH_TIMEOUTS", "reviews:2"),
        ("SUBGRAPH_TIMEOUTS", "reviews=0"),
    ],
)
def test_each_malformed_setting_is_named(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        load_settings({name: value})


def test_every_setting_read_is_documented() -> None:
    class Recording(dict[str, str]):
        read: ClassVar[set[str]] = set()

        def get(self, key, default=None):  # type: ignore[override]
            self.read.add(key)
            return super().get(key, default)

    environ = Recording()
    load_settings(environ)
    assert environ.read == set(VARIABLES)
