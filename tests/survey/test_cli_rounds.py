"""``kaimen round plan|conflicts`` and ``kaimen raters import``: output, exit codes, nothing stored on refusal."""

from __future__ import annotations

import csv
import io
from collections import Counter

from sqlalchemy import func, select

from survey.extensions import db
from survey.models import PanelMember, Round, RoundRater
from tests.survey.round_builders import (
    COMMITTEE_SPEC,
    committee_round,
    pool_csv,
    seed_round,
)


def _run(app, *args):
    return app.test_cli_runner().invoke(args=[*map(str, args)])


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _committee(app, **options) -> int:
    with app.app_context():
        round = committee_round(**options)
        db.session.commit()
        return round.id


def test_round_plan_stores_and_prints_the_plan_per_session(app):
    with app.app_context():
        round_id = seed_round().id
        db.session.commit()

    result = _run(app, "round", "plan", round_id)

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith(f'Round {round_id} "2014年年中目标考核开门打分": rotating plan, optimal in ')
    sessions = [line for line in lines if line.startswith("XC-D")]
    assert len(sessions) == 9
    assert sessions[0].startswith("XC-D01 隆盛泰公司工会 | 2014-06-09 09:00 | 三楼会议室 | panel P")
    with app.app_context():
        seats = db.session.scalar(select(func.count(PanelMember.id)))
    assert f"; {seats} seats stored." in lines[0]
    members = [line for line in lines if line.startswith("  ") and not line.startswith("  not scoring: ")]
    assert len(members) == seats
    recused = [line for line in lines if line.startswith("  not scoring: ")]
    with app.app_context():
        round = db.session.get(Round, round_id)
        group_sizes = Counter(r.panel for r in round.raters)
        heard = sum(group_sizes[next(iter(s.members)).rater.panel] for s in round.sessions)
    assert len(members) + len(recused) == heard  # every group member, seated or recused with the reason
    assert all(line.endswith("(own_unit)") for line in recused)


def test_round_plan_explains_infeasibility_exits_1_and_stores_nothing(app):
    round_id = _committee(app, panel_spec={**COMMITTEE_SPEC, "committee_size": 13})

    result = _run(app, "round", "plan", round_id)

    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"Error: No plan for round {round_id}; nothing was stored:",
        *[f"  unit SCH-E{n} (kind enterprise) needs a committee of at least 13 but only 12 raters are eligible "
          "after recusal" for n in range(1, 5)],
    ]
    assert _count(app, PanelMember) == 0


def test_round_plan_for_a_missing_round_or_an_empty_pool(app):
    assert _run(app, "round", "plan", 999).output == "Error: There is no round 999.\n"
    with app.app_context():
        from survey.services import rounds
        from tests.survey.round_builders import framework_version, seed_world

        seed_world()
        round_id = rounds.create_round(name="空", period="2014", framework_version=framework_version()).id
        db.session.commit()
    result = _run(app, "round", "plan", round_id)
    assert (result.exit_code, result.output) == (
        1, "Error: The round has no raters yet: add representatives or import a list.\n")


def test_round_conflicts_writes_the_matrix_as_csv(app, tmp_path):
    round_id = _committee(app)

    printed = _run(app, "round", "conflicts", round_id)

    assert printed.exit_code == 0
    rows = list(csv.reader(io.StringIO(printed.output)))
    assert rows[0] == ["rater_id", "rater", "home_unit", "unit", "allowed", "reason_codes", "reasons"]
    assert len(rows) == 1 + 14 * 4
    assert sum(row[4] == "no" for row in rows[1:]) == 8  # eight raters at home in an evaluated enterprise
    out = tmp_path / "conflicts.csv"
    written = _run(app, "round", "conflicts", round_id, "--out", out)
    assert written.output == f"Wrote 14 raters x 4 units (8 recused pairs) to {out}.\n"
    assert out.read_text(encoding="utf-8-sig") == printed.output


def test_raters_import_adds_the_list(app, tmp_path):
    round_id = _committee(app, pool=[("李四", "union_chair", "SCH-E4")])
    sheet = tmp_path / "raters.csv"
    sheet.write_bytes(pool_csv([("张三", "职工代表", "SCH-E1"), ("王五", "劳模", "SCH-C02")]))

    result = _run(app, "raters", "import", round_id, sheet)

    assert (result.exit_code, result.output) == (0, f"Imported 2 raters into round {round_id}; the pool has 3.\n")


def test_raters_import_refuses_a_bad_file_by_row_and_stores_nothing(app, tmp_path):
    round_id = _committee(app, pool=[("李四", "union_chair", "SCH-E4")])
    sheet = tmp_path / "raters.csv"
    sheet.write_bytes(pool_csv([("张三", "职工代表", "SCH-E1"), ("王五", "劳模", "NOPE"), ("张三", "其他", "sch-e1"),
                                ("赵六", "主任", "SCH-E2"), ("李四", "工会主席", "SCH-E4")]))

    result = _run(app, "raters", "import", round_id, sheet)

    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "Error: The rater list was not imported; nothing was stored.",
        "  row 4: 张三 of sch-e1 is already on row 2",
        ("  row 5: unknown rater type '主任' (use worker_representative/职工代表, union_chair/工会主席, "
         "model_worker/劳模 or other/其他)"),
    ]
    sheet.write_bytes(pool_csv([("张三", "职工代表", "SCH-E1"), ("王五", "劳模", "NOPE"), ("李四", "工会主席", "SCH-E4")]))
    result = _run(app, "raters", "import", round_id, sheet)
    assert result.output.splitlines() == [
        "Error: The rater list was not imported; nothing was stored.",
        "  row 3: unknown unit code NOPE",
        "  row 4: 李四 of SCH-E4 is already in the pool",
    ]
    assert _count(app, RoundRater) == 1
