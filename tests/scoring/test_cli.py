"""``python -m scoring`` end to end on temporary files: output equals the
library's, bad input exits with code 2 and one line naming file and row."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from scoring.__main__ import main
from scoring.engine import TABLE_COLUMNS, run_round
from scoring.io import config_from_dict, parse_scores_csv

from .conftest import make_round

REPO = Path(__file__).resolve().parents[2]


def write_round(tmp_path: Path, rnd, settings: dict | None = None) -> tuple[Path, Path, dict]:
    scores = tmp_path / "scores.csv"
    with scores.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["unit", "rater", "criterion", "points"])
        for s in rnd.scores:
            writer.writerow([s.unit, s.rater, s.criterion, "" if s.points is None else repr(s.points)])
    config = {
        "framework": {
            "total": 100,
            "areas": [
                {
                    "code": a.code,
                    "weight": a.weight,
                    "criteria": [{"code": c.code, "max_points": c.max_points, "step": c.step} for c in a.criteria],
                }
                for a in rnd.framework.areas
            ],
        },
        "settings": settings if settings is not None else {"bootstrap": 100, "seed": 7},
        "raters": [
            {"id": r.id, "type": r.rater_type.value, "home_unit": r.home_unit, "sub_district": r.sub_district, "panel": r.panel}
            for r in rnd.raters.values()
        ],
        "units": [{"id": u.id, "kind": u.kind, "sub_district": u.sub_district, "industry": u.industry} for u in rnd.units.values()],
        "recusal": {"own_unit": True, "parent_child": True},
    }
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps(config), encoding="utf-8")
    return scores, cfg, config


@pytest.fixture
def files(tmp_path):
    rnd = make_round(seed=2, n_units=4, n_raters=8, n_panels=2, missing_rate=0.02)
    return (*write_round(tmp_path, rnd), rnd)


def test_cli_prints_the_same_result_as_the_library(files, capsys):
    scores, cfg, _, rnd = files
    code = main([str(scores), str(cfg)])
    out = json.loads(capsys.readouterr().out)
    expected = run_round(**{**rnd.kwargs(), "settings": config_from_dict(json.loads(cfg.read_text())).settings}).to_dict()
    assert code == 0
    assert out == json.loads(json.dumps(expected))


def test_cli_out_writes_json_and_one_csv_per_table(files, tmp_path, capsys):
    scores, cfg, _, _ = files
    out_dir = tmp_path / "out"
    assert main([str(scores), str(cfg), "--out", str(out_dir)]) == 0
    written = sorted(p.name for p in out_dir.iterdir())
    assert written == sorted(["result.json"] + [f"{name}.csv" for name in TABLE_COLUMNS])
    with (out_dir / "units.csv").open(encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert tuple(rows[0]) == TABLE_COLUMNS["units"]
    assert len(rows) == 1 + 4
    result = json.loads((out_dir / "result.json").read_text(encoding="utf-8"))
    assert [float(r[2]) for r in rows[1:]] == [u["total"] for u in result["unit_results"]]
    assert capsys.readouterr().out.splitlines()[0] == str(out_dir / "result.json")


def test_cli_format_csv_prints_every_table(files, capsys):
    scores, cfg, _, _ = files
    assert main([str(scores), str(cfg), "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert [line for line in out.splitlines() if line.startswith("# table: ")] == [f"# table: {n}" for n in TABLE_COLUMNS]


def test_cli_empty_table_still_has_its_header(files, tmp_path):
    # no cell falls back in this round: fallbacks.csv holds the header only
    scores, cfg, _, _ = files
    out_dir = tmp_path / "o"
    main([str(scores), str(cfg), "--out", str(out_dir)])
    assert (out_dir / "fallbacks.csv").read_text(encoding="utf-8") == ",".join(TABLE_COLUMNS["fallbacks"]) + "\n"


def replace_line(path: Path, line_no: int, new: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[line_no - 1] = new
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize(
    ("new_line", "message"),
    [
        ("u02,r05,rights.1,2.5", "line 7 (data row 6): unit 'u02', rater 'r05', criterion 'rights.1': points 2.5 are above the maximum 2"),
        ("u02,r05,rights.1,0.7", "line 7 (data row 6): unit 'u02', rater 'r05', criterion 'rights.1': points 0.7 are not a multiple of the step 0.5"),
        ("u02,r05,rights.9,1", "line 7 (data row 6): unit 'u02', rater 'r05', criterion 'rights.9': criterion 'rights.9' is not in the framework"),
        ("u02,r99,rights.1,1", "line 7 (data row 6): unit 'u02', rater 'r99', criterion 'rights.1': rater 'r99' is not in the rater list"),
        ("u02,r05,rights.1,abc", "line 7: points 'abc' are not a number"),
        ("u02,,rights.1,1", "line 7: empty rater"),
    ],
)
def test_cli_bad_row_exits_2_with_one_line_naming_file_and_line(files, capsys, new_line, message):
    scores, cfg, _, _ = files
    replace_line(scores, 7, new_line)
    code = main([str(scores), str(cfg)])
    err = capsys.readouterr().err
    assert code == 2
    assert err == f"error: {scores}: {message}\n"


def test_cli_duplicate_row_names_both(files, capsys):
    scores, cfg, _, _ = files
    lines = scores.read_text(encoding="utf-8").splitlines()
    replace_line(scores, 9, lines[2])  # line 9 repeats line 3 (data row 2)
    assert main([str(scores), str(cfg)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {scores}: line 9 (data row 8): unit 'u01', rater 'r01', criterion 'rights.2': duplicates line 3 ")


def test_cli_missing_column_exits_2(tmp_path, capsys):
    rnd = make_round(seed=2, n_units=2, n_raters=3, n_panels=1)
    scores, cfg, _ = write_round(tmp_path, rnd)
    scores.write_text("unit,rater,criterion,score\nu01,r01,rights.1,1\n", encoding="utf-8")
    assert main([str(scores), str(cfg)]) == 2
    assert capsys.readouterr().err == f"error: {scores}: line 1: missing column(s) points; the header must name unit,rater,criterion,points\n"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c["settings"].update(trimm=2), "settings: unknown key 'trimm'"),
        (lambda c: c["settings"].update(method="mode"), "settings.method: 'mode' is not one of mean, median, trimmed, winsorized"),
        (lambda c: c["framework"]["areas"][0].update(weight=15), "framework: area weights add up to 105, not 100"),
        (lambda c: c["raters"][1].update(type="boss"), "raters[1].type: 'boss' is not one of"),
        (lambda c: c["recusal"].update(own_unit="yes"), "recusal.own_unit: expected true or false, got 'yes'"),
        (lambda c: c["framework"]["areas"][2]["criteria"][1].pop("max_points"), "framework.areas[2].criteria[1]: missing key 'max_points'"),
    ],
)
def test_cli_bad_config_exits_2_naming_the_key(tmp_path, capsys, change, message):
    rnd = make_round(seed=2, n_units=2, n_raters=3, n_panels=1)
    scores, cfg, config = write_round(tmp_path, rnd)
    change(config)
    cfg.write_text(json.dumps(config), encoding="utf-8")
    assert main([str(scores), str(cfg)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {cfg}: {message}")
    assert err.count("\n") == 1


def test_cli_invalid_json_names_line(tmp_path, capsys):
    rnd = make_round(seed=2, n_units=2, n_raters=3, n_panels=1)
    scores, cfg, _ = write_round(tmp_path, rnd)
    cfg.write_text('{\n  "framework": ,\n}', encoding="utf-8")
    assert main([str(scores), str(cfg)]) == 2
    assert capsys.readouterr().err.startswith(f"error: {cfg}: line 2 column 16: invalid JSON")


def test_cli_missing_file_exits_2(tmp_path, capsys):
    assert main([str(tmp_path / "nope.csv"), str(tmp_path / "nope.json")]) == 2
    assert capsys.readouterr().err.startswith(f"error: {tmp_path / 'nope.csv'}: cannot read the file")


def test_parse_scores_csv_reads_excel_bom_and_blank_points():
    table = parse_scores_csv("unit,rater,criterion,points\r\nu1,r1,c1,2\r\nu1,r2,c1, \r\n", "x.csv")
    assert [(s.unit, s.rater, s.points) for s in table.scores] == [("u1", "r1", 2.0), ("u1", "r2", None)]
    assert table.lines == (2, 3)


def test_python_dash_m_scoring_runs_as_a_module(files):
    scores, cfg, _, _ = files
    replace_line(scores, 4, "u01,r02,rights.3,3.5")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-m", "scoring", str(scores), str(cfg)], capture_output=True, text=True, env=env, cwd=REPO, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr == f"error: {scores}: line 4 (data row 3): unit 'u01', rater 'r02', criterion 'rights.3': points 3.5 are above the maximum 3\n"
    assert proc.stdout == ""


# --- the optional composite section ---------------------------------------------------------


def add_composite(config: dict, weights: tuple[float, float, float] = (60, 20, 20)) -> None:
    """u01: open door + the 90% card-rate target + a satisfaction share; u02: open door + a survey score."""
    config["composite"] = {
        "open_door_weight": weights[0],
        "units": [
            {
                "unit": "u01",
                "targets": [{"code": "mutual_aid_card_rate", "actual": 0.81, "target": 0.90, "weight": weights[1]}],
                "surveys": [{"code": "member_satisfaction", "value": 0.75, "weight": weights[2], "scale": "share"}],
            },
            {"unit": "u02", "surveys": [{"code": "member_satisfaction", "value": 80, "weight": 40}]},
        ],
    }


def test_cli_composite_combines_the_round_totals_with_targets_and_surveys(files, capsys):
    scores, cfg, config, _ = files
    add_composite(config)
    cfg.write_text(json.dumps(config), encoding="utf-8")

    code = main([str(scores), str(cfg)])

    out = json.loads(capsys.readouterr().out)
    total = {u["unit"]: u["total"] for u in out["unit_results"]}
    first, second = out["composite"]["units"]
    assert code == 0
    assert (out["composite"]["open_door_weight"], out["composite"]["total_weight"]) == (60.0, 100.0)
    # u01: 60% of its open-door total; card rate 0.81 against 0.90 scores 90 -> 90 * 20/100 = 18;
    # satisfaction share 0.75 scores 75 -> 75 * 20/100 = 15
    assert [c["code"] for c in first["components"]] == ["open_door", "mutual_aid_card_rate", "member_satisfaction"]
    assert [c["contribution"] for c in first["components"]] == pytest.approx([0.6 * total["u01"], 18.0, 15.0], abs=1e-9)
    assert first["score"] == pytest.approx(0.6 * total["u01"] + 33.0, abs=1e-9)
    assert first["note"] == ""
    # u02: 60% of its total + a survey score of 80 at weight 40 -> 32
    assert second["score"] == pytest.approx(0.6 * total["u02"] + 32.0, abs=1e-9)
    assert [u["unit"] for u in out["composite"]["units"]] == ["u01", "u02"]


def test_cli_composite_tables_are_printed_and_written(files, tmp_path, capsys):
    scores, cfg, config, _ = files
    add_composite(config)
    cfg.write_text(json.dumps(config), encoding="utf-8")

    assert main([str(scores), str(cfg), "--format", "csv"]) == 0
    printed = capsys.readouterr().out
    out_dir = tmp_path / "out"
    assert main([str(scores), str(cfg), "--out", str(out_dir)]) == 0

    headings = [line for line in printed.splitlines() if line.startswith("# table: ")]
    assert headings == [f"# table: {n}" for n in TABLE_COLUMNS] + ["# table: composite", "# table: composite_components"]
    with (out_dir / "composite.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    with (out_dir / "composite_components.csv").open(encoding="utf-8") as f:
        parts = list(csv.DictReader(f))
    result = json.loads((out_dir / "result.json").read_text(encoding="utf-8"))
    assert [(r["unit"], float(r["score"])) for r in rows] == [(u["unit"], u["score"]) for u in result["composite"]["units"]]
    assert [(p["unit"], p["code"]) for p in parts] == [
        ("u01", "open_door"),
        ("u01", "mutual_aid_card_rate"),
        ("u01", "member_satisfaction"),
        ("u02", "open_door"),
        ("u02", "member_satisfaction"),
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda c: add_composite(c, weights=(60, 20, 15)),
            "composite.units[0]: component weights add up to 95, not 100 "
            "(open_door=60, mutual_aid_card_rate=20, member_satisfaction=15)",
        ),
        (
            lambda c: (add_composite(c), c["composite"]["units"][1].update(unit="u99")),
            "composite.units[1].unit: 'u99' is not in units",
        ),
        (
            lambda c: (add_composite(c), c["composite"]["units"][0]["surveys"][0].update(value=1.5)),
            "composite.units[0].surveys[0]: survey 'member_satisfaction': share 1.5 lies outside 0..1",
        ),
        (
            lambda c: (add_composite(c), c["composite"]["units"][0]["targets"][0].pop("target")),
            "composite.units[0].targets[0]: missing key 'target'",
        ),
        (
            lambda c: (add_composite(c), c["composite"].update(weights=1)),
            "composite: unknown key 'weights' (allowed: open_door_weight, total_weight, units)",
        ),
    ],
)
def test_cli_bad_composite_exits_2_naming_the_json_path(files, capsys, change, message):
    scores, cfg, config, _ = files
    change(config)
    cfg.write_text(json.dumps(config), encoding="utf-8")

    code = main([str(scores), str(cfg)])

    assert code == 2
    assert capsys.readouterr().err == f"error: {cfg}: {message}\n"
