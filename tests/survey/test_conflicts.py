"""Recusal for a round: the matrix with reasons, recorded and declared conflicts, the CSV."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from survey.extensions import db
from survey.models import Conflict, ConflictKind, RoundStatus
from survey.services import conflicts, engine_inputs, plans, raters, rounds
from survey.services.errors import DomainError
from tests.survey.round_builders import (
    DIRECT_CODES,
    committee_round,
    framework_version,
    grassroots,
    pool_csv,
    seed_round,
    seed_world,
    unit,
)


def _rater(round, name):
    return next(r for r in round.raters if r.name == name)


def _conflict_count(round) -> int:
    return db.session.scalar(select(func.count(Conflict.id)).where(Conflict.round_id == round.id))


# --------------------------------------------------------------------------- the engine inputs


def test_engine_inputs_carry_the_hierarchy_by_code(app):
    with app.app_context():
        round = committee_round()
        inputs = engine_inputs.round_inputs(round)

        assert [u.id for u in inputs.units] == ["SCH-E1", "SCH-E2", "SCH-E3", "SCH-E4"]
        e1 = inputs.lookup["SCH-E1"]
        assert (e1.kind, e1.parent, e1.sub_district, e1.industry, e1.children) == (
            "enterprise", "SCH", "SCH", "commerce", ())
        chair = inputs.rater(_rater(round, "赵一"))
        assert (chair.rater_type.value, chair.home_unit, chair.sub_district) == ("union_chair", "SCH-E1", "SCH")
        assert "SCH-C01" in inputs.lookup  # raters' home units are there for the parent/child rule
        assert inputs.rules.own_unit and inputs.rules.parent_child
        assert not inputs.rules.same_sub_district and not inputs.rules.same_industry


# --------------------------------------------------------------------------- the matrix


def test_seed_round_matrix_recuses_exactly_the_nine_representatives_from_their_own_union(app):
    with app.app_context():
        round = seed_round()
        matrix = conflicts.conflict_matrix(round=round)

        assert (len(matrix.raters), len(matrix.units)) == (27, 9)
        assert len(matrix.cells) == 243
        recused = matrix.recused()
        assert sorted((r.home_unit.code, u.code) for r, u, _ in recused) == [(c, c) for c in DIRECT_CODES]
        rater, _unit, verdict = next(x for x in recused if x[1].code == "XC-D01")
        assert verdict.codes == ("own_unit",)
        assert verdict.reasons == (f"{rater.name} belongs to 隆盛泰公司工会 (XC-D01) (own unit)",)


def test_every_rule_gives_its_reason_in_order(app):
    with app.app_context():
        seed_world()
        grassroots("XJK-E1", unit("XJK"))
        round = rounds.create_round(
            name="规则", period="2014", framework_version=framework_version(),
            recuse_same_sub_district=True, recuse_same_industry=True,
        )
        for code in ("SCH-E1", "SCH-E2", "XC-D01"):
            rounds.add_round_unit(round=round, unit=unit(code))
        raters.import_raters(round=round, data=pool_csv([
            ("甲", "union_chair", "SCH-E1"),  # own unit, same sub-district, same industry
            ("乙", "worker_representative", "XC"),  # the district: parent of XC-D01
            ("丙", "model_worker", "SCH"),  # the sub-district federation: parent of SCH-E1 and E2
            ("丁", "other", "XJK-E1"),  # commerce, another sub-district
        ]), filename="pool.csv")
        conflicts.record_conflict(round=round, rater=_rater(round, "甲"), unit=unit("SCH-E1"), reason="前雇主")
        conflicts.declare_conflict(round, _rater(round, "甲"), unit("SCH-E1"), "亲属任主席")

        matrix = conflicts.conflict_matrix(round=round)
        cell = matrix.cell(_rater(round, "甲"), unit("SCH-E1"))

        assert cell.codes == ("own_unit", "same_sub_district", "same_industry", "relationship", "declared")
        assert cell.reasons == (
            "甲 belongs to SCH-E1 (SCH-E1) (own unit)",
            "甲 and SCH-E1 (SCH-E1) are both in 什刹海街道总工会 (SCH) (a rule of this round)",
            "甲 and SCH-E1 (SCH-E1) are both in the industry commerce (a rule of this round)",
            "recorded relationship: 前雇主",
            "甲 declared a conflict: 亲属任主席",
        )
        assert matrix.cell(_rater(round, "甲"), unit("SCH-E2")).codes == ("same_sub_district",)
        assert matrix.cell(_rater(round, "乙"), unit("XC-D01")).reasons == (
            "乙's home unit 北京市西城区总工会 (XC) is directly above 隆盛泰公司工会 (XC-D01)",)
        assert matrix.cell(_rater(round, "丙"), unit("SCH-E2")).codes == ("parent_unit", "same_sub_district")
        assert matrix.cell(_rater(round, "丁"), unit("XC-D01")).codes == ("same_industry",)
        assert matrix.cell(_rater(round, "丁"), unit("SCH-E2")).allowed
        verdict = conflicts.explain_recusal(round=round, rater=_rater(round, "丙"), unit=unit("SCH-E1"))
        assert verdict.codes == ("parent_unit", "same_sub_district")


def test_the_optional_rules_are_off_unless_the_round_turns_them_on(app):
    with app.app_context():
        round = committee_round()
        chair = _rater(round, "赵一")  # SCH-E1, commerce, Shichahai
        assert conflicts.explain_recusal(round=round, rater=chair, unit=unit("SCH-E2")).allowed
        round.recuse_same_sub_district = True
        assert conflicts.explain_recusal(round=round, rater=chair, unit=unit("SCH-E2")).codes == ("same_sub_district",)


# --------------------------------------------------------------------------- recorded and declared conflicts


def test_recording_a_relationship_withdraws_the_seat_and_refuses_bad_input(app):
    with app.app_context():
        round = committee_round()
        plans.solve_plan(round=round)
        session = next(s for s in round.sessions if s.unit.code == "SCH-E3")
        seated = session.members[0].rater

        conflicts.record_conflict(round=round, rater=seated, unit=session.unit, reason="  其配偶任该企业工会主席 ")

        assert seated.id not in {m.rater_id for m in session.members}
        record = conflicts.list_conflicts(round=round)[0]
        assert (record.kind, record.reason) == (ConflictKind.RELATIONSHIP, "其配偶任该企业工会主席")
        assert not conflicts.explain_recusal(round=round, rater=seated, unit=session.unit)
        with pytest.raises(DomainError, match="already recorded"):
            conflicts.record_conflict(round=round, rater=seated, unit=session.unit, reason="again")
        with pytest.raises(DomainError, match="Give the reason"):
            conflicts.record_conflict(round=round, rater=seated, unit=unit("SCH-E4"), reason="   ")
        with pytest.raises(DomainError, match="is not evaluated in this round"):
            conflicts.record_conflict(round=round, rater=seated, unit=unit("SCH-C01"), reason="x")
        with pytest.raises(DomainError, match="longer than 1000"):
            conflicts.record_conflict(round=round, rater=seated, unit=unit("SCH-E4"), reason="x" * 1001)
        assert _conflict_count(round) == 1


def test_declaring_a_conflict_is_idempotent_and_withdraws_the_seat(app):
    with app.app_context():
        round = committee_round()
        plans.solve_plan(round=round)
        round.status = RoundStatus.OPEN  # declared at the session, from the phone
        session = next(s for s in round.sessions if s.unit.code == "SCH-E2")
        seated = session.members[0].rater

        first = conflicts.declare_conflict(round, seated, session.unit, "我曾在该企业工作")
        again = conflicts.declare_conflict(round=round, rater=seated, unit=session.unit, reason="")

        assert again.id == first.id and first.kind is ConflictKind.DECLARED
        assert seated.id not in {m.rater_id for m in session.members}
        assert conflicts.explain_recusal(round=round, rater=seated, unit=session.unit).codes == ("declared",)
        with pytest.raises(DomainError, match="cannot be removed"):
            conflicts.remove_conflict(conflict=first)
        round.status = RoundStatus.CLOSED
        with pytest.raises(DomainError, match="The round is closed"):
            conflicts.declare_conflict(round, seated, unit("SCH-E4"))
        assert _conflict_count(round) == 1


def test_a_rater_from_another_round_cannot_declare_or_be_recorded(app):
    with app.app_context():
        first, second = committee_round(), committee_round()
        stranger = second.raters[0]
        with pytest.raises(DomainError, match="is not in this round's rater pool"):
            conflicts.declare_conflict(first, stranger, unit("SCH-E1"))
        assert _conflict_count(first) == 0


def test_removing_a_recorded_relationship_lets_the_rater_score_again(app):
    with app.app_context():
        round = committee_round()
        rater = _rater(round, "王八")
        record = conflicts.record_conflict(round=round, rater=rater, unit=unit("SCH-E1"), reason="误录")
        conflicts.remove_conflict(conflict=record)
        assert conflicts.explain_recusal(round=round, rater=rater, unit=unit("SCH-E1")).allowed
        assert _conflict_count(round) == 0


# --------------------------------------------------------------------------- the CSV


def test_matrix_csv_has_one_row_per_rater_and_unit_and_keeps_text_as_text(app):
    with app.app_context():
        round = committee_round(pool=[("=HYPERLINK(1)", "union_chair", "SCH-E1"), ("王八", "model_worker", "SCH-C02")],
                                panel_spec={"mode": "committee", "committee_size": 1})
        conflicts.record_conflict(round=round, rater=_rater(round, "王八"), unit=unit("SCH-E2"), reason="-1+2")

        rows = list(csv.reader(io.StringIO(conflicts.matrix_csv(conflicts.conflict_matrix(round=round)))))

        assert rows[0] == ["rater_id", "rater", "home_unit", "unit", "allowed", "reason_codes", "reasons"]
        assert len(rows) == 1 + 2 * 4
        by_pair = {(row[1], row[3]): row for row in rows[1:]}
        assert by_pair[("'=HYPERLINK(1)", "SCH-E1")][4:] == [
            "no", "own_unit", "'=HYPERLINK(1) belongs to SCH-E1 (SCH-E1) (own unit)"]
        assert by_pair[("王八", "SCH-E2")][4:] == ["no", "relationship", "recorded relationship: -1+2"]
        assert by_pair[("王八", "SCH-E1")][4:] == ["yes", "", ""]
