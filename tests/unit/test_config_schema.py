"""The JSON Schema editors use for config.yaml: current, and agreeing with the loader."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from daemon.config_schema import SCHEMA_FILE, schema_text

ROOT = Path(__file__).parents[2]


def as_an_editor_sees_it(value: Any) -> Any:
    """YAML dates stay text for yaml-language-server; everything else as parsed."""
    if isinstance(value, dict):
        return {k: as_an_editor_sees_it(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_an_editor_sees_it(v) for v in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def problems(data: Any) -> list[str]:
    schema = json.loads((ROOT / SCHEMA_FILE).read_text())
    validator = jsonschema.Draft202012Validator(schema)
    return [f"{'.'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(data)]


def sample() -> Any:
    return as_an_editor_sees_it(yaml.safe_load((ROOT / "config.yaml").read_text()))


def test_the_shipped_schema_is_the_one_the_model_makes() -> None:
    assert (ROOT / SCHEMA_FILE).read_text() == schema_text(), (
        "config.schema.json is out of date: run python -m daemon.config_schema > config.schema.json"
    )


def test_the_sample_configuration_passes_and_names_its_schema() -> None:
    assert problems(sample()) == []
    assert (
        (ROOT / "config.yaml")
        .read_text()
        .startswith("# yaml-language-server: $schema=./config.schema.json")
    )


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda c: c["units"][0].update(strenght=10),
            "Additional properties are not allowed ('strenght'",
        ),
        (lambda c: c["units"][0].update(strength="many"), "'many' is not of type 'integer'"),
        (lambda c: c["mailbox"].update(backend="pop3"), "pop3"),
        (lambda c: c["campaigns"][0]["reminders"].update(at=["7 days before"]), "does not match"),
        (
            lambda c: c.update(
                mailbox={
                    "backend": "imap",
                    "host": "imap.example.gov.in",
                    "username": "a@example.gov.in",
                    "password_file": "/etc/pw",
                }
            ),
            None,
        ),
    ],
)
def test_an_editor_flags_what_check_config_would(edit: Any, expected: str | None) -> None:
    config = sample()
    edit(config)
    found = problems(config)
    if expected is None:
        assert found == []
    else:
        assert any(expected in p for p in found), found
