"""docker-compose.yml, checked against the CLI and the config (Docker cannot run here)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from roseash.cli import build_parser
from roseash.services import SERVICES, subgraphs
from shared.config import VARIABLES, load_settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES_IN_FILE: dict[str, Any] = COMPOSE["services"]
OURS = {name: spec for name, spec in SERVICES_IN_FILE.items() if spec.get("image") == "roseash:latest"}


def test_every_part_of_the_platform_is_there() -> None:
    assert set(SERVICES_IN_FILE) == {"postgres", "redis", "migrate", "worker", *SERVICES}
    assert SERVICES_IN_FILE["postgres"]["image"] == "postgres:16"
    assert SERVICES_IN_FILE["redis"]["image"] == "redis:7"
    assert set(OURS) == {"migrate", "worker", *SERVICES}


def test_one_image_from_one_dockerfile() -> None:
    builds = [spec["build"] for spec in OURS.values() if "build" in spec]
    assert builds == ["."]
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install ." in dockerfile
    assert 'CMD ["roseash"' in dockerfile


@pytest.mark.parametrize("name", sorted(OURS))
def test_command_is_a_valid_cli_invocation(name: str) -> None:
    command = OURS[name]["command"]
    assert command[0] == "roseash"
    args = build_parser().parse_args(command[1:])
    if name == "migrate":
        assert args.command == "migrate"
    elif name == "worker":
        assert args.command == "worker"
    else:
        assert (args.command, args.service) == ("serve", name)


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_ports_and_healthchecks_match_the_service_table(name: str) -> None:
    port = SERVICES[name].port
    spec = OURS[name]
    assert spec["ports"] == [f"{port}:{port}"]
    probe = " ".join(spec["healthcheck"]["test"])
    assert f"http://127.0.0.1:{port}/ready" in probe


@pytest.mark.parametrize("name", sorted(OURS))
def test_environment_is_settings_the_config_knows_and_accepts(name: str) -> None:
    environment: dict[str, str] = OURS[name]["environment"]
    assert set(environment) <= set(VARIABLES)
    settings = load_settings(environment)
    assert not settings.is_sqlite
    assert settings.redis_url is not None
    assert settings.host == "0.0.0.0"
    assert settings.environment == "production"


def test_database_credentials_match_postgres() -> None:
    pg = SERVICES_IN_FILE["postgres"]["environment"]
    url = OURS["migrate"]["environment"]["DATABASE_URL"]
    assert url == (f"postgresql://{pg['POSTGRES_USER']}:{pg['POSTGRES_PASSWORD']}@postgres:5432/{pg['POSTGRES_DB']}")


def conditions(name: str) -> dict[str, str]:
    return {dep: spec["condition"] for dep, spec in SERVICES_IN_FILE[name]["depends_on"].items()}


def test_start_order_waits_for_health_and_migrates_once() -> None:
    assert conditions("migrate") == {"postgres": "service_healthy"}
    assert SERVICES_IN_FILE["migrate"]["restart"] == "no"
    for data_service in ("postgres", "redis"):
        assert "healthcheck" in SERVICES_IN_FILE[data_service]
    for service in subgraphs():
        assert conditions(service.name) == {
            "migrate": "service_completed_successfully",
            "redis": "service_healthy",
        }
    assert conditions("router") == {s.name: "service_healthy" for s in subgraphs()}
    assert conditions("activitypub") == {"router": "service_healthy"}
    assert conditions("web") == {"router": "service_healthy"}
    assert conditions("worker")["migrate"] == "service_completed_successfully"


def test_router_composes_from_every_subgraph_by_service_name() -> None:
    settings = load_settings(OURS["router"]["environment"])
    assert settings.subgraph_urls == {s.name: f"http://{s.name}:{s.port}/graphql" for s in subgraphs()}
