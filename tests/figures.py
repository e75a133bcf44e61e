"""Figures the reliability tests measure, collected for RELIABILITY.md.

A test calls `record("kill trials", 30)`; when ANUPALAN_FIGURES names a file,
each figure is appended to it as a JSON line, and `scripts/reliability` turns
the lines into RELIABILITY.md. Without the variable nothing is written.
"""

from __future__ import annotations

import json
import os


def record(name: str, value: int | float | str, group: str = "") -> None:
    """Note one figure under a group (crash safety, faults, hostile input, ...)."""
    target = os.environ.get("ANUPALAN_FIGURES")
    if not target:
        return
    with open(target, "a", encoding="utf-8") as out:
        out.write(json.dumps({"group": group, "name": name, "value": value}) + "\n")


def render(lines: list[dict[str, object]], command: str) -> str:
    """RELIABILITY.md from the recorded figures: one table per group, in the order recorded."""
    groups: dict[str, list[tuple[str, object]]] = {}
    for line in lines:
        groups.setdefault(str(line["group"]) or "other", []).append(
            (str(line["name"]), line["value"])
        )
    out = [
        "# Reliability",
        "",
        "What the tests that prove anupalan's promises (nothing lost, nothing twice, clear",
        "answers, no one in who does not belong) measured in their last run. Every figure",
        "is regenerated, on this machine or any other, by:",
        "",
        "```sh",
        command,
        "```",
    ]
    for group, figures in groups.items():
        out += ["", f"## {group[:1].upper()}{group[1:]}", "", "| figure | value |", "|---|---|"]
        out += [f"| {name} | {value} |" for name, value in figures]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    import sys

    source, command = sys.argv[1], sys.argv[2]
    with open(source, encoding="utf-8") as lines:
        print(render([json.loads(line) for line in lines if line.strip()], command), end="")
