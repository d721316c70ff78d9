"""The production compose file and Dockerfile: the services are there, ports stay on
loopback, secrets come from the environment. (Docker does not run here; this reads them.)"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def compose() -> dict:  # type: ignore[type-arg]
    data = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert isinstance(data, dict)
    return data


def test_compose_names_asterisk_postgres_and_vuurtoren() -> None:
    services = compose()["services"]
    assert {"asterisk", "postgres", "vuurtoren"} <= set(services)
    image = services["asterisk"]["image"]
    tag = re.search(r":(\d+)", image.split("}")[0] if "${" in image else image)
    assert tag and int(tag.group(1)) >= 20  # Asterisk 20 or newer
    assert services["vuurtoren"]["build"] == "."
    assert (ROOT / "Dockerfile").exists()


def test_published_ports_are_loopback_only() -> None:
    for name, service in compose()["services"].items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), (name, port)
        command = " ".join(service.get("command", []))
        if "--listen" in command:
            assert "--listen 127.0.0.1:" in command


def test_secrets_come_from_the_environment() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    services = compose()["services"]
    env = services["vuurtoren"]["environment"]
    assert env["VUURTOREN_AMI_SECRET"].startswith("${VUURTOREN_AMI_SECRET:?")
    assert "${VUURTOREN_DB_PASSWORD:?" in env["VUURTOREN_DATABASE_URL"]
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD"].startswith("${")
    for line in text.splitlines():  # no literal password anywhere
        if re.search(r"(PASSWORD|SECRET)\s*:", line):
            assert "${" in line, line


def test_dockerfile_runs_as_an_unprivileged_user() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert "USER vuurtoren" in text and 'ENTRYPOINT ["vuurtoren"]' in text
