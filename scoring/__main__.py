"""``python -m scoring SCORES.csv CONFIG.json [--out DIR] [--format json|csv]``

Recompute every published figure of a round from its exported scores and
configuration (formats: :mod:`scoring.io`). Without ``--out`` the result is
printed: the whole result as JSON (``--format json``, the default) or every
table as CSV, each introduced by a ``# table: NAME`` line (``--format csv``).
With ``--out DIR`` it writes ``DIR/result.json`` and one ``DIR/NAME.csv`` per
table and prints the paths written. A config with a ``composite`` section
adds the composite assessment of the units it lists (open-door total from
this round, plus their indicators and survey results) to every output.

Exit status: 0 on success; 2 on bad input, with a one-line message on stderr
that names the file and the row or key.
"""

from __future__ import annotations

import argparse
import sys

from scoring.aggregate import ScoreRowError
from scoring.composite import CompositeSpec, RoundComposite, round_composites
from scoring.engine import RoundResult, run_round
from scoring.io import (
    InputFileError,
    output_tables,
    read_config,
    read_scores_csv,
    result_json,
    table_csv,
    write_outputs,
)
from scoring.types import ScoringInputError

EXIT_BAD_INPUT = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m scoring",
        description="Recompute an open-door scoring round: totals, ranks with bootstrap intervals, "
        "rater effects, reliability and leave-one-rater-out.",
    )
    parser.add_argument("scores", help="long CSV with columns unit,rater,criterion,points (empty points = cannot judge)")
    parser.add_argument("config", help="JSON with framework, settings, raters, units, recusal rules and an optional composite")
    parser.add_argument("--out", metavar="DIR", help="write result.json and one CSV per table into DIR")
    parser.add_argument("--format", choices=("json", "csv"), default="json", help="what to print without --out (default json)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        table = read_scores_csv(args.scores)
        config = read_config(args.config)
        try:
            result = run_round(config.framework, table.scores, config.raters, config.units, config.settings, config.rules)
            composite = _composite(config.composite, result) if config.composite is not None else None
        except ScoreRowError as exc:
            raise table.locate(exc) from None
        except InputFileError:
            raise
        except ScoringInputError as exc:
            raise InputFileError(f"{args.scores} with {args.config}: {exc}") from None
    except ScoringInputError as exc:
        print(f"error: {_one_line(str(exc))}", file=sys.stderr)
        return EXIT_BAD_INPUT

    if args.out:
        for path in write_outputs(result, args.out, composite):
            print(path)
    elif args.format == "json":
        print(result_json(result, composite))
    else:
        for name, (columns, rows) in output_tables(result, composite).items():
            print(f"# table: {name}")
            sys.stdout.write(table_csv(rows, columns))
            print()
    return 0


def _composite(spec: CompositeSpec, result: RoundResult) -> RoundComposite:
    """The composite of each unit ``spec`` lists, its open-door total taken from ``result``."""
    totals = dict(zip(result.units, result.totals.tolist()))
    notes = dict(zip(result.units, result.aggregate.total_notes))
    return round_composites(spec, totals, scale=result.framework.total, notes=notes)


def _one_line(text: str) -> str:
    return " ".join(text.split())


if __name__ == "__main__":
    raise SystemExit(main())
