"""Round set-up: creating, units and sessions, the rater pool, opening, the demo, and the screens."""

from __future__ import annotations

import io
from collections import Counter

import pytest
from sqlalchemy import func, select

from scoring.recusal import check
from scoring.types import AggregationMethod, MissingPolicy
from survey.extensions import db
from survey.models import (
    Conflict,
    PanelMember,
    RaterType,
    ReportSession,
    Round,
    RoundRater,
    RoundStatus,
    RoundUnit,
)
from survey.services import engine_inputs, plans, raters, rounds
from survey.services.errors import DomainError
from tests.conftest import csrf_token
from tests.survey.round_builders import (
    DIRECT_CODES,
    SCH_ENTERPRISES,
    committee_round,
    framework_version,
    june,
    pool_csv,
    representatives,
    seed_round,
    seed_world,
    unit,
)


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --------------------------------------------------------------------------- creating a round


def test_create_round_checks_and_stores_settings_and_panel_spec(app):
    with app.app_context():
        version = framework_version()
        round = rounds.create_round(
            name=" 2014年年中 ", period="2014年年中", framework_version=version, recuse_same_industry=True,
            settings={"method": "median", "trim": 0, "confidence": 0.9},
            panel_spec={"mode": "committee", "committee_size": 9, "quotas": {"enterprise": {"union_chair": [2, 9]}}},
        )

        assert (round.name, round.status, round.recuse_same_industry) == ("2014年年中", RoundStatus.SETUP, True)
        assert round.settings == {"method": "median", "trim": 0, "confidence": 0.9}
        settings = engine_inputs.settings_of(round)
        assert (settings.method, settings.trim, settings.min_raters) == (AggregationMethod.MEDIAN, 0, 3)
        assert settings.missing_policy is MissingPolicy.RESCALE
        default = rounds.create_round(name="默认", period="2014", framework_version=version)
        assert default.panel_spec == {"mode": "rotating", "n_panels": 4, "min_raters_per_unit": 5}


@pytest.mark.parametrize(
    ("settings", "panel_spec", "message"),
    [
        ({"methd": "mean"}, None, "unknown setting methd"),
        ({"method": "average"}, None, "method must be one of mean, median, trimmed, winsorized, not average"),
        ({"trim": -1}, None, "trim must be a whole number of at least 0, not -1"),
        ({"min_raters": True}, None, "min_raters must be a whole number of at least 1, not True"),
        ({"confidence": 1.5}, None, "confidence must be between 0 and 1, not 1.5"),
        (None, {"mode": "lottery"}, "Unknown panel mode lottery"),
        (None, {"mode": "rotating", "committee_size": 9}, "committee_size do not apply to rotating panels"),
        (None, {"mode": "committee", "quotas": {"factory": {"union_chair": [1, 2]}}}, "unknown unit kind factory"),
        (None, {"mode": "rotating", "n_panels": 0}, "n_panels must be an integer of at least 1, not 0"),
        (None, {"mode": "rotating", "min_raters_per_unit": 0}, "Every unit needs at least one rater"),
        (None, {"mode": "committee", "quotas": {"enterprise": {"chair": [1, 2]}}}, "unknown rater type 'chair'"),
        (None, {"mode": "committee", "quotas": {"enterprise": {"union_chair": [3, 2]}}}, "max 2 is below min 3"),
    ],
)
def test_create_round_refuses_bad_settings_and_stores_nothing(app, settings, panel_spec, message):
    with app.app_context():
        version = framework_version()
        with pytest.raises(DomainError) as refused:
            rounds.create_round(name="坏", period="2014", framework_version=version, settings=settings,
                                panel_spec=panel_spec)
        assert message in refused.value.message
        assert _count(Round) == 0


def test_empty_name_is_refused(app):
    with app.app_context(), pytest.raises(DomainError, match="The name is empty"):
        rounds.create_round(name="  ", period="2014", framework_version=framework_version())


# --------------------------------------------------------------------------- units and sessions


def test_units_are_grassroots_only_each_with_one_session(app):
    with app.app_context():
        units = seed_world()
        round = rounds.create_round(name="单位", period="2014", framework_version=framework_version())

        rounds.add_round_unit(round=round, unit=units["XC-D01"])

        assert [(s.unit.code, s.starts_at, s.place) for s in round.sessions] == [("XC-D01", None, None)]
        with pytest.raises(DomainError, match="already evaluated"):
            rounds.add_round_unit(round=round, unit=units["XC-D01"])
        with pytest.raises(DomainError, match="is a federation, not a grassroots unit"):
            rounds.add_round_unit(round=round, unit=units["SCH"])
        rounds.schedule_session(session=round.sessions[0], starts_at=june(9), place=" 三楼会议室 ")
        assert (round.sessions[0].starts_at, round.sessions[0].place) == (june(9), "三楼会议室")
        rounds.remove_round_unit(round=round, unit=units["XC-D01"])
        db.session.flush()
        assert (_count(RoundUnit), _count(ReportSession)) == (0, 0)


def test_removing_a_unit_takes_its_session_and_panel(app):
    with app.app_context():
        round = committee_round()
        plans.solve_plan(round=round)
        rounds.remove_round_unit(round=round, unit=unit("SCH-E1"))
        db.session.flush()
        assert sorted(s.unit.code for s in round.sessions) == ["SCH-E2", "SCH-E3", "SCH-E4"]
        assert _count(PanelMember) == 27


# --------------------------------------------------------------------------- the rater pool


def test_representatives_join_the_pool_with_their_profile(app):
    with app.app_context():
        round = seed_round()
        rep = next(r for r in round.raters if r.user.username == "rep01")

        assert len(round.raters) == 27
        assert (rep.rater_type, rep.home_unit.code, rep.sub_district, rep.industry) == (
            RaterType.WORKER_REPRESENTATIVE, "XC-D01", None, "commerce")
        assert raters.candidate_representatives(round=round) == []
        with pytest.raises(DomainError, match="is already in the pool"):
            raters.add_representatives(round=round, users=[rep.user])
        assert len(round.raters) == 27


def test_import_refuses_the_whole_file_for_unknown_units_and_duplicate_people(app, make_user):
    with app.app_context():
        round = committee_round(pool=[("李四", "union_chair", "SCH-E4")])
        users = representatives(seed_world())
        raters.add_representatives(round=round, users=[users[0]])
        data = (
            "姓名,类型,单位编码,账号\n"
            "张三,工会主席,SCH-E1,\n"
            "王五,劳模,NOPE-1,\n"
            "李四,职工代表,sch-e4,\n"
            "赵六,职工代表,SCH-E2,rep01\n"
            "钱七,职工代表,SCH-E3,nobody\n"
        ).encode()

        with pytest.raises(raters.RaterImportRejected) as refused:
            raters.import_raters(round=round, data=data, filename="pool.csv")

        assert refused.value.message == "The rater list was not imported; nothing was stored."
        assert refused.value.reasons == [
            "row 3: unknown unit code NOPE-1",
            "row 4: 李四 of SCH-E4 is already in the pool",
            f"row 5: the account rep01 is already in the pool (as {users[0].display_name})",
            "row 6: there is no account nobody",
        ]
        assert _count(RoundRater) == 2


def test_import_adds_everyone_with_sub_district_industry_group_and_account(app):
    with app.app_context():
        round = committee_round(pool=[("李四", "union_chair", "SCH-E4")])
        users = representatives(seed_world())
        data = ("name,rater_type,home_unit,industry,panel,username\n"
                "张三,union chair,SCH-E1,,A组,\n"
                "赵六,职工代表,XC-D02,市政,B组,REP02\n").encode()

        outcome = raters.import_raters(round=round, data=data, filename="pool.csv")

        assert [(r.name, r.rater_type.value, r.home_unit.code, r.sub_district.code if r.sub_district else None,
                 r.industry, r.panel, r.user.username if r.user else None) for r in outcome.raters] == [
            ("张三", "union_chair", "SCH-E1", "SCH", "commerce", "A组", None),
            ("赵六", "worker_representative", "XC-D02", None, "市政", "B组", "rep02"),
        ]
        assert users[1].id == outcome.raters[1].user_id


def test_removing_a_rater_takes_their_seats_and_conflicts(app):
    with app.app_context():
        round = committee_round()
        plans.solve_plan(round=round)
        from survey.services import conflicts

        rater = next(r for r in round.raters if r.name == "王八")
        conflicts.record_conflict(round=round, rater=rater, unit=unit("SCH-E1"), reason="亲属")
        raters.remove_rater(round=round, rater=rater)
        db.session.flush()
        assert len(round.raters) == 13
        assert db.session.scalar(select(func.count(Conflict.id))) == 0
        assert rater.id not in {m.rater_id for m in db.session.scalars(select(PanelMember))}


# --------------------------------------------------------------------------- opening


def test_opening_an_empty_round_lists_what_is_missing(app):
    with app.app_context():
        seed_world()
        round = rounds.create_round(name="空", period="2014", framework_version=framework_version())
        with pytest.raises(rounds.RoundNotReady) as refused:
            rounds.open_round(round=round)
        assert refused.value.message == "The round cannot open: 2 problems."
        assert refused.value.problems == ["No units are evaluated yet.", "The rater pool is empty."]
        assert round.status is RoundStatus.SETUP


def test_opening_needs_a_solved_plan_and_session_times(app):
    with app.app_context():
        round = seed_round(scheduled=False)
        problems = rounds.opening_problems(round=round)
        assert problems[:1] == ["隆盛泰公司工会 (XC-D01): the report session has no time yet."]
        assert len(problems) == 10 and problems[-1] == "There is no panel plan yet: solve one."


def test_opening_is_refused_for_a_framework_whose_weights_do_not_add_up(app):
    with app.app_context():
        version = framework_version(weights=(50, 45))
        round = seed_round(version=version)
        plans.solve_plan(round=round)

        with pytest.raises(rounds.RoundNotReady) as refused:
            rounds.open_round(round=round)

        assert refused.value.problems == [
            "The criteria framework cannot be used: The area weights add up to 95, not 100: A01 50, A02 45."
        ]
        assert round.status is RoundStatus.SETUP and version.frozen_at is None


def test_opening_is_refused_for_a_criterion_without_a_maximum(app):
    with app.app_context():
        version = framework_version()
        spec = dict(version.spec)
        spec["areas"] = [dict(a) for a in spec["areas"]]
        spec["areas"][1]["criteria"] = [dict(c) for c in spec["areas"][1]["criteria"]]
        del spec["areas"][1]["criteria"][0]["max_points"]
        version.spec = spec
        round = seed_round(version=version)
        plans.solve_plan(round=round)

        assert rounds.opening_problems(round=round) == [
            "The criteria framework cannot be used: Area A02 (领域2), criterion A02.1 has no maximum."
        ]
        with pytest.raises(rounds.RoundNotReady):
            rounds.open_round(round=round)
        assert round.status is RoundStatus.SETUP and version.frozen_at is None


def test_opening_refuses_a_plan_broken_by_hand(app):
    with app.app_context():
        round = seed_round()
        plans.solve_plan(round=round)
        session = next(s for s in round.sessions if s.unit.code == "XC-D05")
        for member in list(session.members)[:3]:
            plans.remove_panel_member(session=session, rater=member.rater)
        left = len(session.members)

        with pytest.raises(rounds.RoundNotReady) as refused:
            rounds.open_round(round=round)

        assert refused.value.problems == [
            f"西城区社区卫生服务中心联合工会 (XC-D05): {left} raters may score it; at least 5 are needed."
        ]
        assert round.status is RoundStatus.SETUP


def test_opening_freezes_the_framework_and_ends_set_up(app):
    with app.app_context():
        round = seed_round()
        plans.solve_plan(round=round)

        rounds.open_round(round=round)

        assert round.status is RoundStatus.OPEN
        assert round.framework_version.frozen_at is not None
        with pytest.raises(DomainError, match="can no longer change"):
            rounds.add_round_unit(round=round, unit=unit("SCH-E1"))
        with pytest.raises(DomainError, match="rater pool can no longer change"):
            raters.import_raters(round=round, data=pool_csv([("新人", "other", "SCH-E1")]), filename="x.csv")
        with pytest.raises(rounds.RoundNotReady, match="1 problem"):
            rounds.open_round(round=round)


# --------------------------------------------------------------------------- the demo


def test_demo_rounds_are_solved_obey_every_rule_and_load_once(app):
    with app.app_context():
        representatives(seed_world())

        created = rounds.load_demo_round()

        assert [r.name for r in created] == [rounds.DEMO_ROUND_NAME, rounds.DEMO_COMMITTEE_NAME]
        open_door, committee = created
        assert sorted(u.unit.code for u in open_door.units) == DIRECT_CODES
        assert len(open_door.raters) == 27
        assert sorted(Counter(r.panel for r in open_door.raters).values()) == [6, 7, 7, 7]
        assert sorted(u.unit.code for u in committee.units) == SCH_ENTERPRISES
        assert 12 <= len(committee.raters) <= 15
        assert {r.home_unit.code.split("-")[0] for r in committee.raters} == {"SCH"}
        assert set(Counter(r.rater_type for r in committee.raters)) == {
            RaterType.UNION_CHAIR, RaterType.WORKER_REPRESENTATIVE, RaterType.MODEL_WORKER}
        # the open-door round is opened and scored by the demo (tests/survey/test_demo_scores.py);
        # the committee round stays in set-up so that users can try on-site scoring themselves
        assert (open_door.status, committee.status) == (RoundStatus.OPEN, RoundStatus.SETUP)
        assert rounds.opening_problems(round=committee) == []
        for round in created:
            assert plans.plan_problems(round=round) == []
            inputs = engine_inputs.round_inputs(round)
            for session in round.sessions:
                assert (session.starts_at.year, session.starts_at.month) == (2014, 6)
                for member in session.members:
                    info = inputs.lookup[session.unit.code]
                    assert check(inputs.rater(member.rater), info, inputs.rules, inputs.lookup).allowed
        assert all(len(s.members) == 9 for s in committee.sessions)
        assert rounds.load_demo_round() == []
        assert _count(Round) == 2


def test_demo_round_needs_the_demo_scenario(app):
    with app.app_context(), pytest.raises(DomainError, match="Load the demo scenario first"):
        rounds.load_demo_round()


# --------------------------------------------------------------------------- the screens


def _staff(make_user, login, client=None):
    make_user("staff", username="office")
    login("office")
    if client is not None:
        client.set_cookie("kaimen_lang", "en")  # these tests compare English messages word for word


def test_screens_walk_through_a_round(app, client, make_user, login):
    _staff(make_user, login, client)
    with app.app_context():
        units = seed_world()
        representatives(units)
        version_id = framework_version().id
        db.session.commit()

    page = client.get("/staff/rounds/new")
    assert page.status_code == 200
    token = csrf_token(client, "/staff/rounds/new")
    created = client.post("/staff/rounds/new", data={
        "csrf_token": token, "name": "2014年年中", "period": "2014年年中", "framework_version": version_id,
        "method": "trimmed", "trim": 1, "min_raters": 3, "fallback": "median", "missing_policy": "rescale",
        "mode": "committee", "committee_size": 3, "quotas": "enterprise union_chair 1 3", "time_limit": 5,
    })
    assert created.status_code == 302
    round_id = int(created.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        round = db.session.get(Round, round_id)
        assert round.panel_spec == {"mode": "committee", "committee_size": 3, "time_limit": 5.0,
                                    "quotas": {"enterprise": {"union_chair": [1, 3]}}}

    for code in SCH_ENTERPRISES:
        assert client.post(f"/staff/rounds/{round_id}/units", data={"csrf_token": token, "unit_code": code.lower()}
                           ).status_code == 302
    bad = client.post(f"/staff/rounds/{round_id}/units", data={"csrf_token": token, "unit_code": "SCH"},
                      follow_redirects=True)
    assert "is a federation, not a grassroots unit" in bad.get_data(as_text=True)

    sheet = pool_csv([("赵一", "union_chair", "SCH-E1"), ("钱二", "union_chair", "SCH-E2"),
                      ("孙三", "worker_representative", "SCH-C01"), ("李四", "model_worker", "SCH-C02")])
    refused = client.post(f"/staff/rounds/{round_id}/raters/import", data={
        "csrf_token": token, "file": (io.BytesIO(sheet + "王五,劳模,XX-9\n".encode()), "pool.csv")},
        content_type="multipart/form-data")
    assert refused.status_code == 422
    assert "row 6: unknown unit code XX-9" in refused.get_data(as_text=True)
    imported = client.post(f"/staff/rounds/{round_id}/raters/import", data={
        "csrf_token": token, "file": (io.BytesIO(sheet), "pool.csv")}, content_type="multipart/form-data")
    assert imported.status_code == 302

    with app.app_context():
        rep = db.session.scalar(select(RoundRater).where(RoundRater.name == "赵一"))
        rep_id = rep.id
        user_id = next(u.id for u in representatives(seed_world()) if u.username == "rep02")
    picked = client.post(f"/staff/rounds/{round_id}/raters/pick", data={"csrf_token": token, "user_ids": [user_id]})
    assert picked.status_code == 302

    detail = client.get(f"/staff/rounds/{round_id}").get_data(as_text=True)
    assert "赵一" in detail and "SCH-E4" in detail and "There is no panel plan yet: solve one." in detail

    matrix = client.get(f"/staff/rounds/{round_id}/conflicts")
    assert matrix.status_code == 200
    assert "赵一 belongs to SCH-E1 (SCH-E1) (own unit)" in matrix.get_data(as_text=True)
    with app.app_context():
        e3_id = unit("SCH-E3").id
    recorded = client.post(f"/staff/rounds/{round_id}/conflicts", data={
        "csrf_token": token, "rater_id": rep_id, "unit_id": e3_id, "reason": "曾任该企业会计"}, follow_redirects=True)
    assert "recorded relationship: 曾任该企业会计" in recorded.get_data(as_text=True)
    exported = client.get(f"/staff/rounds/{round_id}/conflicts.csv")
    assert exported.mimetype == "text/csv"
    assert exported.get_data(as_text=True).startswith("\ufeffrater_id,rater,home_unit,unit,allowed")

    solved = client.post(f"/staff/rounds/{round_id}/plan/solve", data={"csrf_token": token})
    assert solved.status_code == 302
    plan_page = client.get(f"/staff/rounds/{round_id}/plan").get_data(as_text=True)
    assert 'data-testid="session-SCH-E1"' in plan_page
    with app.app_context():
        session = db.session.scalar(select(ReportSession).where(
            ReportSession.round_id == round_id, ReportSession.unit_id == unit("SCH-E1").id))
        session_id = session.id
        seated = {m.rater_id for m in session.members}
    # the screen may offer anything; the service refuses the own-unit seat
    refused_seat = client.post(f"/staff/rounds/{round_id}/sessions/{session_id}/members",
                               data={"csrf_token": token, f"m{session_id}-rater_id": rep_id}, follow_redirects=True)
    assert "赵一 may not score SCH-E1 (SCH-E1)" in refused_seat.get_data(as_text=True)
    removed = client.post(f"/staff/rounds/{round_id}/sessions/{session_id}/members/{min(seated)}/remove",
                          data={"csrf_token": token})
    assert removed.status_code == 302
    with app.app_context():
        assert min(seated) not in {m.rater_id for m in db.session.get(ReportSession, session_id).members}
        assert rep_id not in {m.rater_id for m in db.session.get(ReportSession, session_id).members}

    opened = client.post(f"/staff/rounds/{round_id}/open", data={"csrf_token": token}, follow_redirects=True)
    assert "The round cannot open" in opened.get_data(as_text=True)
    edit = client.get(f"/staff/rounds/{round_id}/edit").get_data(as_text=True)
    assert "enterprise union_chair 1 3" in edit
    assert client.get("/staff/rounds/").status_code == 200


def test_screens_schedule_remove_and_open(app, client, make_user, login):
    _staff(make_user, login, client)
    with app.app_context():
        round = committee_round()
        round_id = round.id
        session = next(s for s in round.sessions if s.unit.code == "SCH-E1")
        session_id = session.id
        e4 = next(s for s in round.sessions if s.unit.code == "SCH-E4")
        e4_unit_id = e4.unit_id
        extra = raters.import_raters(round=round, data=pool_csv([("多余", "other", "SCH-C03")]), filename="x.csv")
        extra_id = extra.raters[0].id
        from survey.services import conflicts

        record = conflicts.record_conflict(round=round, rater=extra.raters[0], unit=session.unit, reason="误录")
        record_id = record.id
        db.session.commit()
    token = csrf_token(client, f"/staff/rounds/{round_id}")

    scheduled = client.post(f"/staff/rounds/{round_id}/sessions/{session_id}/schedule", data={
        "csrf_token": token, f"s{session_id}-starts_at": "2014-06-20T09:30", f"s{session_id}-place": "二楼"})
    assert scheduled.status_code == 302
    assert client.post(f"/staff/rounds/{round_id}/conflicts/{record_id}/remove",
                       data={"csrf_token": token}).status_code == 302
    assert client.post(f"/staff/rounds/{round_id}/raters/{extra_id}/remove", data={"csrf_token": token}
                       ).status_code == 302
    assert client.post(f"/staff/rounds/{round_id}/units/{e4_unit_id}/remove", data={"csrf_token": token}
                       ).status_code == 302
    assert client.post(f"/staff/rounds/{round_id}/plan/solve", data={"csrf_token": token}).status_code == 302
    opened = client.post(f"/staff/rounds/{round_id}/open", data={"csrf_token": token}, follow_redirects=True)
    assert "The round is open; its criteria framework is frozen." in opened.get_data(as_text=True)
    with app.app_context():
        round = db.session.get(Round, round_id)
        session = db.session.get(ReportSession, session_id)
        assert (session.starts_at, session.place) == (june(20, 9).replace(minute=30), "二楼")
        assert round.status is RoundStatus.OPEN
        assert sorted(u.unit.code for u in round.units) == ["SCH-E1", "SCH-E2", "SCH-E3"]
        assert len(round.raters) == 14 and _count(Conflict) == 0


def test_screen_shows_why_no_plan_exists(app, client, make_user, login):
    _staff(make_user, login, client)
    with app.app_context():
        round = committee_round(panel_spec={"mode": "committee", "committee_size": 13})
        round_id = round.id
        db.session.commit()
    token = csrf_token(client, f"/staff/rounds/{round_id}/plan")
    page = client.post(f"/staff/rounds/{round_id}/plan/solve", data={"csrf_token": token})
    assert page.status_code == 422
    text = page.get_data(as_text=True)
    assert "No plan meets every rule; nothing was stored." in text
    assert "unit SCH-E1 (kind enterprise) needs a committee of at least 13" in text


def test_round_screens_are_staff_only(app, client, make_user, login):
    with app.app_context():
        round = committee_round()
        round_id, session_id, rater_id = round.id, round.sessions[0].id, round.raters[0].id
        db.session.commit()
    make_user("representative", username="rep-probe")
    login("rep-probe")
    token = csrf_token(client, "/dashboard")
    for path in ("/staff/rounds/", "/staff/rounds/new", f"/staff/rounds/{round_id}",
                 f"/staff/rounds/{round_id}/conflicts", f"/staff/rounds/{round_id}/conflicts.csv",
                 f"/staff/rounds/{round_id}/plan", f"/staff/rounds/{round_id}/raters/import"):
        assert client.get(path).status_code == 403, path
    for path in (f"/staff/rounds/{round_id}/plan/solve", f"/staff/rounds/{round_id}/open",
                 f"/staff/rounds/{round_id}/sessions/{session_id}/members",
                 f"/staff/rounds/{round_id}/raters/{rater_id}/remove"):
        assert client.post(path, data={"csrf_token": token}).status_code == 403, path
    with app.app_context():
        assert _count(PanelMember) == 0 and len(db.session.get(Round, round_id).raters) == 14


def test_demo_committee_names_are_not_the_district_representatives_names(app):
    with app.app_context():
        users = representatives(seed_world())
        rounds.load_demo_round()
        committee = db.session.scalar(select(Round).where(Round.name == rounds.DEMO_COMMITTEE_NAME))
        names = [r.name for r in committee.raters]
        assert len(set(names)) == len(names) == 14
        assert not set(names) & {u.display_name for u in users}
