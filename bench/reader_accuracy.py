"""`python -m bench.reader_accuracy`: how exactly the report mapper reads unit reports it never saw.

    python -m bench.reader_accuracy [--examples N] [--seed S]

Generates N unit reports with `tests/generated_reports.py` (titles, headers in
English, Hindi and Tamil, merged group headers, shuffled and extra columns,
status columns under headers it may not know, totals, notes and signature
blocks; the exact truth written beside each), maps each with `map_report` and
the built-in `unit-completion-report` format, and prints how many files and
officer rows came out exactly right, how many officers were counted completed
although their status says otherwise (this must be 0: it is a wrong
compliance figure sent upstream), how many rows that are no officer were read
as one, and what went wrong in the first five files read wrongly.

The same seed gives the same reports; examples hypothesis draws twice are
counted once. Standalone: no mailbox, no Dovecot, a few seconds per thousand.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field

from hypothesis import HealthCheck, Phase, given, seed, settings

from bench.harness import TESTS
from daemon.core.report_mapper import map_report
from daemon.formats import builtin_formats

if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from generated_reports import GeneratedReport, compare, unit_reports

SAMPLES = 5


@dataclass
class Tally:
    """What the reader got right and wrong over the generated reports."""

    drawn: int = 0
    files: int = 0
    exact_files: int = 0
    rows: int = 0
    exact_rows: int = 0
    false_completed: int = 0
    junk_read: int = 0
    unclear_unflagged: int = 0
    wrongly_refused_or_accepted: int = 0
    samples: dict[str, str] = field(default_factory=dict)  # by the report's shape
    seen: set[str] = field(default_factory=set)

    def add(self, gen: GeneratedReport) -> None:
        self.drawn += 1
        key = gen.render()
        if key in self.seen:
            return
        self.seen.add(key)
        reading = compare(gen, map_report(gen.workbook, UNIT))
        self.files += 1
        self.exact_files += reading.exact
        self.rows += len(gen.truth)
        self.exact_rows += len(gen.truth) - len(reading.missed)
        self.false_completed += len(reading.false_completed)
        self.junk_read += len(reading.junk_read)
        self.unclear_unflagged += len(reading.unclear_unflagged)
        self.wrongly_refused_or_accepted += reading.refusal is not None
        if not reading.exact and len(self.samples) < SAMPLES and gen.summary not in self.samples:
            lines = [
                f"{gen!r}",
                *(f"     header {text}" for text in gen.header_text()),
                *(f"     {problem}" for problem in reading.problems(limit=2)),
            ]
            self.samples[gen.summary] = "\n".join(lines)


UNIT = builtin_formats()["unit-completion-report"]


def measure(examples: int, seed_value: int) -> Tally:
    """Generate and map `examples` reports from `seed_value`; the tally of how they read."""
    tally = Tally()

    @seed(seed_value)
    @settings(
        max_examples=examples,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(unit_reports())
    def record(gen: GeneratedReport) -> None:
        tally.add(gen)

    record()
    return tally


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def report(tally: Tally, examples: int, seed_value: int, seconds: float) -> str:
    lines = [
        f"reader accuracy over generated unit reports (seed {seed_value}, {seconds:.1f} s)",
        f"  files generated:             {tally.files} ({examples} drawn, repeats counted once)",
        f"  files exact:                 {tally.exact_files} ({percent(tally.exact_files, tally.files)})",  # noqa: E501
        f"  officer rows exact:          {tally.exact_rows} of {tally.rows}"
        f" ({percent(tally.exact_rows, tally.rows)})",
        f"  false-completed rows:        {tally.false_completed} (must be 0)",
        f"  junk rows read as officers:  {tally.junk_read}",
        f"  unclear statuses unflagged:  {tally.unclear_unflagged}",
        f"  files wrongly refused/read:  {tally.wrongly_refused_or_accepted}",
    ]
    if tally.samples:
        lines.append(f"first {len(tally.samples)} files read wrongly:")
        lines += [f"  {n}. {sample}" for n, sample in enumerate(tally.samples.values(), start=1)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.reader_accuracy",
        description="how exactly the report mapper reads generated unit reports",
    )
    parser.add_argument("--examples", type=int, default=2000, help="reports to generate (2000)")
    parser.add_argument("--seed", type=int, default=0, help="the same seed, the same reports (0)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    tally = measure(args.examples, args.seed)
    print(report(tally, args.examples, args.seed, time.perf_counter() - started))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
