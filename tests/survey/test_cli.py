"""The kaimen command: create-user and demo."""

from __future__ import annotations

from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from survey.extensions import db
from survey.models import (
    OrgLevel,
    OrgUnit,
    Questionnaire,
    QuestionnaireStatus,
    RaterType,
    RepresentativeProfile,
    Response,
    Role,
    UnitKind,
    User,
)


def _user(app, username: str) -> User | None:
    with app.app_context():
        return db.session.scalar(select(User).where(User.username == username))


def test_create_user_reads_the_password_from_stdin(app):
    result = app.test_cli_runner().invoke(
        args=["create-user", "--role", "staff", "--username", "Chen", "--password-stdin"], input="a-long-password\n"
    )
    assert result.exit_code == 0, result.output
    assert "Created staff chen." in result.output
    user = _user(app, "chen")
    assert user.role is Role.STAFF and check_password_hash(user.password_hash, "a-long-password")


def test_create_user_generates_and_prints_a_password(app):
    result = app.test_cli_runner().invoke(args=["create-user", "--role", "evaluator", "--username", "auditor", "--generate-password"])
    assert result.exit_code == 0, result.output
    password = result.output.split("Password: ")[1].strip()
    assert check_password_hash(_user(app, "auditor").password_hash, password)


def test_create_user_prompts_for_a_password(app):
    result = app.test_cli_runner().invoke(
        args=["create-user", "--role", "admin", "--username", "root"], input="prompted-password\nprompted-password\n"
    )
    assert result.exit_code == 0, result.output
    assert check_password_hash(_user(app, "root").password_hash, "prompted-password")


def test_create_user_refuses_a_taken_name_and_keeps_the_old_account(app, make_user):
    make_user("staff", username="taken")
    before = _user(app, "taken").password_hash
    result = app.test_cli_runner().invoke(
        args=["create-user", "--role", "admin", "--username", "taken", "--password-stdin"], input="another-password\n"
    )
    assert result.exit_code == 1
    assert "Error: The username taken is already taken." in result.output
    after = _user(app, "taken")
    assert after.password_hash == before and after.role is Role.STAFF


def test_create_user_refuses_a_short_password(app):
    result = app.test_cli_runner().invoke(
        args=["create-user", "--role", "staff", "--username", "shorty", "--password-stdin"], input="short\n"
    )
    assert result.exit_code == 1
    assert "Error: The password must have at least 10 characters." in result.output
    assert _user(app, "shorty") is None


def test_create_user_refuses_an_unknown_role(app):
    result = app.test_cli_runner().invoke(args=["create-user", "--role", "king", "--username", "k", "--generate-password"])
    assert result.exit_code == 2
    assert "'king' is not one of" in result.output


def test_demo_loads_the_seeds_scenario_once(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "rep01 … rep27" in first.output
    with app.app_context():
        count = lambda *where: db.session.scalar(select(func.count()).select_from(OrgUnit).where(*where))  # noqa: E731
        assert count(OrgUnit.level == OrgLevel.DISTRICT) == 1
        assert count(OrgUnit.level == OrgLevel.SUB_DISTRICT) == 15
        assert count(OrgUnit.kind == UnitKind.COMMUNITY_JOINT) == 255
        assert count(OrgUnit.kind == UnitKind.DIRECTLY_AFFILIATED) == 9
        profiles = db.session.scalars(select(RepresentativeProfile)).all()
        assert len(profiles) == 27
        assert all(p.rater_type is RaterType.WORKER_REPRESENTATIVE and p.home_unit and p.sub_district for p in profiles)
        # Each directly affiliated union has one of the representatives: recusal will matter.
        homes = {p.home_unit.code for p in profiles}
        assert {f"XC-D0{i}" for i in range(1, 10)} <= homes
        roles = dict(db.session.execute(select(User.role, func.count()).group_by(User.role)).all())
        assert roles == {Role.ADMIN: 1, Role.STAFF: 2, Role.EVALUATOR: 1, Role.REPRESENTATIVE: 27}
        # The seeds' 2016 needs survey with its 20,000 responses, still open, and Shichahai's chair
        # rating, closed once its answers were in (so that evaluators have a closed questionnaire).
        per_questionnaire = dict(
            db.session.execute(
                select(Questionnaire.slug, func.count(Response.id))
                .join(Response, Response.questionnaire_id == Questionnaire.id)
                .where(Response.submitted_on.is_not(None))
                .group_by(Questionnaire.slug)
            ).all()
        )
        statuses = dict(db.session.execute(select(Questionnaire.slug, Questionnaire.status)).all())
        assert statuses == {"xicheng-needs-2016": QuestionnaireStatus.PUBLISHED,
                            "shichahai-chair-2016": QuestionnaireStatus.CLOSED}
        assert per_questionnaire["xicheng-needs-2016"] == 20_000
        # Shichahai: over 60% of its enterprise unions' members took part.
        members = db.session.scalar(
            select(func.sum(OrgUnit.member_count)).where(OrgUnit.code.like("SCH-E%"))
        )
        assert per_questionnaire["shichahai-chair-2016"] / members > 0.6
    second = runner.invoke(args=["demo"])
    assert "already present" in second.output


def test_demo_logins_work(app, client, login):
    app.test_cli_runner().invoke(args=["demo"])
    assert login("staff", "kaimen-demo-staff").headers["Location"] == "/dashboard"
    body = client.get("/dashboard").get_data(as_text=True)
    assert "全区概况" in body
