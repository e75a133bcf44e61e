"""A JSON Schema for config.yaml, made from the configuration model itself.

Editors with yaml-language-server read it (config.yaml names it on its first
line) to complete keys and flag mistakes as the file is typed. The model is the
one source of truth; this module only adjusts what YAML writes differently from
what the model holds once parsed.
"""

from __future__ import annotations

import json
from typing import Any

from daemon.config import Config

SCHEMA_FILE = "config.schema.json"
_STEP = r"^\s*[+-]?\d{1,3}d\s+\d{1,2}:\d{2}\s*$"
_WALL_TIME = r"^\s*\d{4}-\d{1,2}-\d{1,2}[ T]\d{1,2}:\d{2}(:\d{2})?\s*$"


def config_schema() -> dict[str, Any]:
    schema = Config.model_json_schema(by_alias=True, mode="validation")
    # `source` is where the file was read from, not something written in it.
    schema["properties"].pop("source", None)
    schema["required"] = [k for k in schema["required"] if k != "source"]
    defs = schema["$defs"]
    # Reminder steps are written as text such as "-7d 10:00".
    defs["ReminderStep"] = {
        "type": "string",
        "pattern": _STEP,
        "description": "days before (-) or after (+) the unit deadline, and the time: -7d 10:00",
    }
    defs["Upstream"]["properties"]["send_at"] = {
        "type": "string",
        "pattern": _WALL_TIME,
        "description": "date and time in the zone's time zone, like 2023-05-04 11:00",
    }
    # Any secret may instead be read from a file: password_file, oauth2_client_secret_file.
    for definition in defs.values():
        properties = definition.get("properties", {})
        for name, prop in list(properties.items()):
            if _is_secret(prop):
                properties[f"{name}_file"] = {
                    "type": "string",
                    "description": f"a file whose content is the {name.replace('_', ' ')}",
                }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "anupalan configuration",
        **schema,
    }


def _is_secret(prop: dict[str, Any]) -> bool:
    options = prop.get("anyOf", [prop])
    return any(o.get("format") == "password" for o in options)


def schema_text() -> str:
    return json.dumps(config_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    print(schema_text(), end="")
