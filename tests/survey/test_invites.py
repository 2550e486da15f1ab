"""One-time invitation codes."""

from __future__ import annotations

import threading

import pytest
from flask_migrate import upgrade
from sqlalchemy import select

from survey import create_app
from survey.extensions import db
from survey.models import Invite, Questionnaire, QuestionnaireKind
from survey.services import invites
from survey.services.invites import InviteRefused


def _questionnaire() -> Questionnaire:
    q = Questionnaire(slug="needs-2016", title="职工需求调查", kind=QuestionnaireKind.NEEDS)
    db.session.add(q)
    db.session.flush()
    return q


def test_codes_carry_160_random_bits_and_only_their_hash_is_stored(app):
    with app.app_context():
        q = _questionnaire()
        issued = invites.create_invites(questionnaire=q, count=200)
        codes = [i.code for i in issued]
        assert len(set(codes)) == 200
        assert all(len(invites.normalise_code(c)) == 32 for c in codes)  # 32 base32 digits = 160 bits
        stored = db.session.scalars(select(Invite.code_hash)).all()
        assert not set(codes) & set(stored)
        assert set(stored) == {invites.code_hash(c) for c in codes}


def test_a_code_can_be_used_once(app):
    with app.app_context():
        q = _questionnaire()
        (issued,) = invites.create_invites(questionnaire=q, count=1)
        invite = invites.redeem_invite(questionnaire=q, code=issued.code)
        assert invite.used_on is not None
        with pytest.raises(InviteRefused, match="already been used"):
            invites.redeem_invite(questionnaire=q, code=issued.code)


def test_codes_are_accepted_as_people_type_them(app):
    with app.app_context():
        q = _questionnaire()
        (issued,) = invites.create_invites(questionnaire=q, count=1)
        typed = issued.code.lower().replace("-", " ").replace("0", "o").replace("1", "l")
        assert invites.redeem_invite(questionnaire=q, code=typed).used_on is not None


def test_unknown_revoked_or_foreign_codes_are_refused(app):
    with app.app_context():
        q = _questionnaire()
        other = Questionnaire(slug="other", title="满意度测评", kind=QuestionnaireKind.SATISFACTION)
        db.session.add(other)
        db.session.flush()
        first, second = invites.create_invites(questionnaire=q, count=2)
        with pytest.raises(InviteRefused, match="not valid"):
            invites.redeem_invite(questionnaire=q, code=invites.new_code())
        with pytest.raises(InviteRefused, match="not valid"):
            invites.redeem_invite(questionnaire=other, code=first.code)
        revoked = db.session.scalar(select(Invite).where(Invite.code_hash == invites.code_hash(second.code)))
        invites.revoke_invite(invite=revoked)
        with pytest.raises(InviteRefused, match="not valid"):
            invites.redeem_invite(questionnaire=q, code=second.code)


def test_labelled_invites_are_bound_to_a_unit(app):
    from survey.models import OrgLevel, OrgUnit

    with app.app_context():
        q = _questionnaire()
        district = OrgUnit(code="D", name_zh="区", level=OrgLevel.DISTRICT)
        db.session.add(district)
        db.session.flush()
        issued = invites.create_invites(questionnaire=q, unit=district, labels=["车间一", "车间二"])
        assert [(i.label, i.unit_code) for i in issued] == [("车间一", "D"), ("车间二", "D")]
        assert invites.invite_counts(questionnaire=q) == (2, 0)


def test_batch_size_is_bounded(app):
    with app.app_context():
        q = _questionnaire()
        with pytest.raises(Exception, match="between 1 and"):
            invites.create_invites(questionnaire=q, count=0)


def test_racing_redemptions_of_one_code_succeed_exactly_once(tmp_path, database_url):
    """Eight threads, each with its own connection, redeem the same code at once."""
    if database_url.startswith("sqlite"):
        database_url = f"sqlite:///{tmp_path / 'race.sqlite3'}"
        app = create_app({"DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path)})
        with app.app_context():
            upgrade(directory=app.extensions["migrate"].directory)
    else:
        app = create_app({"DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path)})
    with app.app_context():
        q = Questionnaire(slug=f"race-{tmp_path.name[-8:]}", title="race", kind=QuestionnaireKind.OTHER)
        db.session.add(q)
        db.session.flush()
        (issued,) = invites.create_invites(questionnaire=q, count=1)
        db.session.commit()
        qid = q.id
    outcomes: list[str] = []
    barrier = threading.Barrier(8, timeout=30)

    def attempt():
        barrier.wait()  # before any SQL: on SQLite the first BEGIN IMMEDIATE makes the others queue
        with app.app_context():
            try:
                questionnaire = db.session.get(Questionnaire, qid)
                invites.redeem_invite(questionnaire=questionnaire, code=issued.code)
                db.session.commit()
                outcomes.append("ok")
            except InviteRefused:
                db.session.rollback()
                outcomes.append("refused")

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok"] + ["refused"] * 7
    with app.app_context():
        db.session.execute(db.delete(Invite).where(Invite.questionnaire_id == qid))
        db.session.execute(db.delete(Questionnaire).where(Questionnaire.id == qid))
        db.session.commit()
        db.engine.dispose()
