"""A round's composite inputs: checked by the parser ``python -m scoring`` uses, against the
round's units; refused with every reason and nothing stored; cleared with None; and
``kaimen round composite ROUND_ID FILE.json | --clear``."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from survey.extensions import db
from survey.models import Round, RoundStatus
from survey.services import composites, demo_scores, plans, publications
from survey.services.errors import DomainError
from tests.survey.round_builders import seed_round

JULY = datetime(2014, 7, 1, 2, 0, tzinfo=UTC)


def _unit(code: str, card: float = 0.81, satisfaction: float = 0.75, card_weight: float = 20) -> dict:
    return {
        "unit": code,
        "targets": [{"code": "mutual_aid_card_rate", "title": "工会互助服务卡办卡率", "actual": card,
                     "target": 0.9, "weight": card_weight}],
        "surveys": [{"code": "member_satisfaction", "title": "会员满意度", "value": satisfaction, "weight": 20,
                     "scale": "share"}],
    }


VALID = {"open_door_weight": 60, "units": [_unit("XC-D01"), _unit("XC-D02", 0.93, 0.82), _unit("XC-D05", 0.7, 0.6)]}


def _reasons(exc: pytest.ExceptionInfo) -> list[str]:
    return exc.value.problems


# --------------------------------------------------------------------------- the service


def test_valid_inputs_are_stored_as_a_plain_copy(app):
    with app.app_context():
        round = seed_round()
        data = copy.deepcopy(VALID)
        composites.set_composite(round=round, data=data)
        data["units"][0]["unit"] = "changed afterwards"
        db.session.commit()
        db.session.expire_all()
        stored = db.session.get(Round, round.id).composite
        assert stored == VALID
        assert composites.composite_units(db.session.get(Round, round.id)) == ["XC-D01", "XC-D02", "XC-D05"]


def test_every_problem_is_listed_and_nothing_is_stored(app):
    with app.app_context():
        round = seed_round()
        composites.set_composite(round=round, data=VALID)
        bad = {"open_door_weight": 60, "units": [
            _unit("XC-D01", card_weight=15),  # weights add up to 95
            _unit("XC-D99"),  # not evaluated in the round
            {**_unit("XC-D03"), "surveys": [{"code": "member_satisfaction", "value": 1.4, "weight": 20,
                                             "scale": "share"}]},  # a share above 1
            _unit("xc-d04"),  # codes are exact
            _unit("XC-D01"),  # listed twice
        ]}
        with pytest.raises(composites.CompositeRejected) as refused:
            composites.set_composite(round=round, data=bad)
        reasons = _reasons(refused)
        units = "XC-D01, XC-D02, XC-D03, XC-D04, XC-D05, XC-D06, XC-D07, XC-D08, XC-D09"
        assert reasons == [
            ("composite.units[0]: component weights add up to 95, not 100 "
             "(open_door=60, mutual_aid_card_rate=15, member_satisfaction=20)"),
            f"composite.units[1].unit: XC-D99 is not evaluated in this round (its units: {units})",
            "composite.units[2].surveys[0]: survey 'member_satisfaction': share 1.4 lies outside 0..1",
            f"composite.units[3].unit: xc-d04 is not evaluated in this round (its units: {units})",
            "composite.units[4].unit: XC-D01 is already listed at composite.units[0]",
        ]
        assert "5 problems" in refused.value.message and reasons[0] in refused.value.message
        db.session.expire_all()
        assert db.session.get(Round, round.id).composite == VALID  # unchanged


@pytest.mark.parametrize(("data", "reason"), [
    ([], "composite: expected an object, got a list"),
    ({"units": []}, "composite: missing key 'open_door_weight'"),
    ({"open_door_weight": 60, "units": [], "extra": 1}, "composite: unknown key 'extra' (allowed: open_door_weight, total_weight, units)"),
    ({"open_door_weight": 0, "units": [_unit("XC-D01")]}, "composite.open_door_weight: 0; it must be positive"),
    ({"open_door_weight": 60, "units": []}, "composite.units: lists no unit"),
    ({"open_door_weight": 60, "units": {"unit": "XC-D01"}}, "composite.units: expected a list, got an object"),
    ({"open_door_weight": 60, "units": [{**_unit("XC-D01"), "targets": [{"code": "x", "actual": "81%",
                                                                         "target": 0.9, "weight": 20}]}]},
     "composite.units[0].targets[0].actual: expected a number, got '81%'"),
    ({"open_door_weight": 60, "units": [_unit("XC-D01", satisfaction=float("nan"))]},
     "composite: holds a value that is not plain JSON (for example NaN or Infinity)"),
])
def test_malformed_inputs_are_refused_with_the_reason(app, data, reason):
    with app.app_context():
        round = seed_round()
        with pytest.raises(composites.CompositeRejected) as refused:
            composites.set_composite(round=round, data=data)
        assert _reasons(refused) == [reason]
        assert round.composite is None


def test_none_clears_and_a_closed_round_refuses(app):
    with app.app_context():
        round = seed_round()
        composites.set_composite(round=round, data=VALID)
        composites.set_composite(round=round, data=None)
        assert round.composite is None
        round.status = RoundStatus.CLOSED
        for data in (VALID, None):
            with pytest.raises(DomainError, match="The round is closed"):
                composites.set_composite(round=round, data=data)


def test_inputs_changed_after_a_publication_go_into_the_next_version_only(app):
    with app.app_context():
        round = seed_round()
        assert plans.solve_plan(round=round).solved
        demo_scores.load_demo_scores(round)  # opened (the round), scored, sessions closed
        assert round.status is RoundStatus.OPEN
        first = publications.publish(round=round, by=None, now=JULY)
        composites.set_composite(round=round, data=VALID)
        second = publications.publish(round=round, by=None, note="综合考核指标录入", now=JULY)
        assert "composite_report" not in {f.kind for f in first.files}
        assert "composite_report" in {f.kind for f in second.files}
        assert "composite" not in json.loads(first.snapshot["inputs"]["config.json"])
        assert json.loads(second.snapshot["inputs"]["config.json"])["composite"] == VALID
        scores = {u["unit"]: u["score"] for u in publications.snapshot_outputs(second)["composite"]["units"]}
        assert sorted(scores) == ["XC-D01", "XC-D02", "XC-D05"] and all(s is not None for s in scores.values())


# --------------------------------------------------------------------------- kaimen round composite


def _run(app, *args):
    return app.test_cli_runner().invoke(args=[*map(str, args)])


def _round_id(app) -> int:
    with app.app_context():
        round_id = seed_round().id
        db.session.commit()
        return round_id


def _stored(app, round_id: int):
    with app.app_context():
        db.session.expire_all()
        return db.session.get(Round, round_id).composite


def _write(tmp_path, data, name="composite.json") -> str:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_cli_stores_a_composite_object_or_a_whole_config_and_clears(app, tmp_path):
    round_id = _round_id(app)
    done = _run(app, "round", "composite", round_id, _write(tmp_path, VALID))
    assert done.exit_code == 0, done.output
    assert done.output == (f'Round {round_id} "2014年年中目标考核开门打分": composite inputs stored for 3 units '
                           "(XC-D01, XC-D02, XC-D05); open-door weight 60 of 100.\n")
    assert _stored(app, round_id) == VALID

    config = {"framework": {"areas": []}, "raters": [], "units": [],
              "composite": {"open_door_weight": 50, "units": [_unit("XC-D09", card_weight=30)]}}
    done = _run(app, "round", "composite", round_id, _write(tmp_path, config, "config.json"))
    assert done.exit_code == 0, done.output
    assert "composite inputs replaced for 1 unit (XC-D09); open-door weight 50 of 100." in done.output
    assert _stored(app, round_id) == config["composite"]

    cleared = _run(app, "round", "composite", round_id, "--clear")
    removed = f'Round {round_id} "2014年年中目标考核开门打分": composite inputs removed.\n'
    assert (cleared.exit_code, cleared.output) == (0, removed)
    assert _stored(app, round_id) is None
    again = _run(app, "round", "composite", round_id, "--clear")
    assert again.exit_code == 0 and "had no composite inputs; nothing changed." in again.output


def test_cli_refuses_with_every_reason_and_stores_nothing(app, tmp_path):
    round_id = _round_id(app)
    assert _run(app, "round", "composite", round_id, _write(tmp_path, VALID)).exit_code == 0
    bad = {"open_door_weight": 60, "units": [_unit("XC-D01", card_weight=30), _unit("XC-D42")]}

    refused = _run(app, "round", "composite", round_id, _write(tmp_path, bad))

    assert refused.exit_code == 1
    lines = refused.output.splitlines()
    assert lines[0] == f"Error: The composite inputs of round {round_id} were not stored (2 problems):"
    assert lines[1] == ("  composite.units[0]: component weights add up to 110, not 100 "
                        "(open_door=60, mutual_aid_card_rate=30, member_satisfaction=20)")
    assert lines[2].startswith("  composite.units[1].unit: XC-D42 is not evaluated in this round (its units: XC-D01")
    assert len(lines) == 3
    assert _stored(app, round_id) == VALID


@pytest.mark.parametrize(("content", "message"), [
    ('{"open_door_weight": 60, "units": [', "line 1 column 36: invalid JSON: Expecting value."),
    ('{"open_door_weight": NaN, "units": []}', "invalid JSON: NaN is not a number JSON allows."),
    (b"\xff\xfe{}", "is not UTF-8 text."),
    ('{"framework": {"areas": []}, "raters": [], "units": []}', 'is a scoring config without a "composite" section.'),
    ('{"composite": null}', '"composite" is null; to remove the round\'s composite inputs use --clear.'),
])
def test_cli_refuses_a_malformed_file(app, tmp_path, content, message):
    round_id = _round_id(app)
    path = tmp_path / "composite.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")

    refused = _run(app, "round", "composite", round_id, path)

    assert refused.exit_code == 1
    assert refused.output.startswith("Error: composite.json") and refused.output.endswith(message + "\n"), \
        refused.output
    assert _stored(app, round_id) is None


def test_cli_usage_errors_a_missing_round_and_a_closed_round(app, tmp_path):
    round_id = _round_id(app)
    file = _write(tmp_path, VALID)
    both = _run(app, "round", "composite", round_id, file, "--clear")
    assert (both.exit_code, both.output) == (1, "Error: give either FILE.json or --clear, not both.\n")
    neither = _run(app, "round", "composite", round_id)
    assert (neither.exit_code, neither.output) == (
        1, "Error: give FILE.json with the composite inputs, or --clear to remove them.\n")
    missing = _run(app, "round", "composite", 999_999, file)
    assert (missing.exit_code, missing.output) == (1, "Error: There is no round 999999.\n")
    with app.app_context():
        db.session.get(Round, round_id).status = RoundStatus.CLOSED
        db.session.commit()
    closed = _run(app, "round", "composite", round_id, file)
    assert (closed.exit_code, closed.output) == (
        1, "Error: The round is closed: its composite inputs can no longer change.\n")
    assert _stored(app, round_id) is None
    with app.app_context():
        assert db.session.scalar(select(Round.composite).where(Round.id == round_id)) is None
