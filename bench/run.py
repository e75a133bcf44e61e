"""The benchmark command: run the figures, print them, optionally record them in RESULTS.md."""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from bench.figures import FIGURE_KEYS, FIGURES, SMOKE, Context, Sizes
from bench.harness import Figure, say, skipped

BEGIN, END = "<!-- figures: begin -->", "<!-- figures: end -->"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description="anupalan against the floor, measured in one run"
    )
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: proves it runs")
    parser.add_argument(
        "--only", action="append", choices=sorted(FIGURES), help="run only these figures"
    )
    parser.add_argument("--messages", type=int, help="replies for the ingest figure (2000)")
    parser.add_argument("--mailbox", type=int, help="messages for the poll figure (20000)")
    parser.add_argument("--rows", type=int, help="rows of the large report (100000)")
    parser.add_argument("--profile", type=Path, help="write pyinstrument profiles to this folder")
    parser.add_argument("--write", type=Path, help="record the figures in this Markdown file")
    parser.add_argument("--work", type=Path, help="keep the working files here")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = SMOKE if args.smoke else Sizes()
    if args.messages:
        sizes = replace(sizes, ingest_messages=args.messages)
    if args.mailbox:
        sizes = replace(sizes, poll_mailbox=args.mailbox)
    if args.rows:
        sizes = replace(sizes, large_rows=args.rows)
    work = args.work or Path(tempfile.mkdtemp(prefix="anupalan-bench-"))
    ctx = Context(sizes, work, args.profile)
    lines: list[str] = []
    figures: list[Figure] = []
    failed = False
    started = time.perf_counter()
    for name in args.only or list(FIGURES):
        say(f"-- {name}")
        try:
            results = FIGURES[name](ctx)
        except Exception as exc:
            failed = True
            say(f"{name} failed: {exc}")
            reason = f"failed: {type(exc).__name__}: {str(exc).strip().splitlines()[0][:200]}"
            results = [skipped(key, reason) for key in FIGURE_KEYS[name]]
        for result in results:
            text = result.line() if isinstance(result, Figure) else result
            if isinstance(result, Figure):
                figures.append(result)
            lines.append(text)
            print(text, flush=True)
    elapsed = time.perf_counter() - started
    print(f"bench finished in {elapsed:.0f} s", flush=True)
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    if args.write is not None:
        record(args.write, figures, lines, sizes, args, elapsed)
    return 1 if failed else 0


def record(
    path: Path,
    figures: list[Figure],
    lines: list[str],
    sizes: Sizes,
    args: argparse.Namespace,
    elapsed: float,
) -> None:
    """Put the figures between the markers of the Markdown file (the rest is left alone)."""
    command = "python -m bench" + (" --smoke" if args.smoke else "")
    table = [
        BEGIN,
        "",
        f"Run `{command}` on {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}, "
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} cores, {elapsed:.0f} s in all.",
        "",
        "| figure | what | anupalan | floor | ratio | target | |",
        "|---|---|---:|---:|---:|---|---|",
    ]
    for f in figures:
        table.append(
            f"| `{f.key}` | {f.title} | {_cell(f.anupalan)} {f.unit} | {_cell(f.floor)} {f.unit}"
            f" | {f.ratio:.2f} | {f.target} | {'met' if f.met else '**not met**'} |"
        )
    details = [line.strip() for line in lines if not line.startswith("FIGURE ")]
    if details:
        table += ["", *(f"- {line}" for line in details)]
    table += ["", f"Sizes: `{sizes}`", "", END]
    block = "\n".join(table)
    text = (
        path.read_text(encoding="utf-8") if path.exists() else f"# Benchmarks\n\n{BEGIN}\n{END}\n"
    )
    if BEGIN in text and END in text:
        head, _, rest = text.partition(BEGIN)
        _, _, tail = rest.partition(END)
        text = head + block + tail
    else:
        text += "\n" + block + "\n"
    path.write_text(text, encoding="utf-8")
    print(f"recorded in {path}", file=sys.stderr)


def _cell(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"
