"""``python -m scoring SCORES.csv CONFIG.json [--out DIR] [--format json|csv]``

Recompute every published figure of a round from its exported scores and
configuration (formats: :mod:`scoring.io`). Without ``--out`` the result is
printed: the whole result as JSON (``--format json``, the default) or every
table as CSV, each introduced by a ``# table: NAME`` line (``--format csv``).
With ``--out DIR`` it writes ``DIR/result.json`` and one ``DIR/NAME.csv`` per
table and prints the paths written.

Exit status: 0 on success; 2 on bad input, with a one-line message on stderr
that names the file and the row or key.
"""

from __future__ import annotations

import argparse
import sys

from scoring.aggregate import ScoreRowError
from scoring.engine import TABLE_COLUMNS, run_round
from scoring.io import InputFileError, read_config, read_scores_csv, result_json, table_csv, write_outputs
from scoring.types import ScoringInputError

EXIT_BAD_INPUT = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m scoring",
        description="Recompute an open-door scoring round: totals, ranks with bootstrap intervals, "
        "rater effects, reliability and leave-one-rater-out.",
    )
    parser.add_argument("scores", help="long CSV with columns unit,rater,criterion,points (empty points = cannot judge)")
    parser.add_argument("config", help="JSON with framework, settings, raters, units and recusal rules")
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
        for path in write_outputs(result, args.out):
            print(path)
    elif args.format == "json":
        print(result_json(result))
    else:
        for name, rows in result.tables().items():
            print(f"# table: {name}")
            sys.stdout.write(table_csv(rows, TABLE_COLUMNS.get(name)))
            print()
    return 0


def _one_line(text: str) -> str:
    return " ".join(text.split())


if __name__ == "__main__":
    raise SystemExit(main())
