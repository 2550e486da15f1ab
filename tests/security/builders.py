"""A world whose every free-text field holds attack payloads, for the security checklist tests.

Payloads go in through the real services (questionnaire creation and publication, bulk
import of responses, the scorecard changes, conflict declarations) or, for names the
services take from staff forms, straight into the model as staff would type them.
"""

from __future__ import annotations

from dataclasses import dataclass

from forms.questionnaire.spec import Questionnaire
from survey.extensions import db
from survey.models import OrgUnit, QuestionnaireKind, ReportSession, Round, RoundRater, User
from survey.models.base import utcnow
from survey.services import join_codes, rounds, scoring_sessions
from survey.services import questionnaires as qs
from survey.services import scorecards as sc
from survey.services.answer_columns import ImportRecord, bulk_import_responses
from tests.survey.analysis_builders import analysis_spec, analysis_world, respondents
from tests.survey.scoring_builders import open_round

#: One string that carries every HTML/template payload; a view that shows it unescaped
#: contains one of RAW_MARKERS.
XSS = '<script>alert(1)</script>"><img src=x onerror=alert(1)>{{7*7}}'
RAW_MARKERS = ("<script>alert(1)", "<img src=x onerror", "onerror=alert(1)>")
#: ReportLab paragraph markup: must come out of a PDF as the literal characters.
RL = '<font color=red>RL1</font><a href="javascript:alert(2)">RL2</a><img src="/etc/passwd"/>'
#: The short form for fields limited to 40 characters (codes, slugs are validated instead).
SHORT = '<script>alert(1)</script>'


def payload_spec() -> Questionnaire:
    data = analysis_spec().to_dict()
    data["title"] = {"zh": XSS + "问卷", "en": XSS + " survey " + RL}
    main = data["sections"][1]
    main["title"] = {"zh": XSS, "en": XSS + " needs"}
    housing = main["questions"][0]
    housing["title"] = {"zh": XSS + "住房", "en": XSS + " housing " + RL}
    housing["options"][0]["label"] = {"zh": XSS + "自有", "en": XSS + " own"}
    return Questionnaire.from_dict(data)


@dataclass
class PayloadWorld:
    questionnaire_id: int
    slug: str
    round_id: int
    session_id: int
    unit_id: int
    rater_ids: list[int]
    codes: dict[int, str]


def payload_world() -> PayloadWorld:
    """A published questionnaire with 100 imported responses (12 with payload free texts), and an
    open round whose name, units, raters, session place, a conflict reason and a scorecard
    comment carry the payloads. Committed."""
    world, _sds = analysis_world()
    questionnaire = qs.create_questionnaire(spec=payload_spec(), kind=QuestionnaireKind.NEEDS)
    qs.publish_questionnaire(questionnaire=questionnaire)
    records = []
    for i, person in enumerate(respondents()):
        answers = dict(person.answers)
        if i < 12:
            answers["needs"] = [n for n in answers["needs"] if isinstance(n, str)] + [
                {"option": "other", "other": f"{XSS}{i} {RL}"}]
            answers["comment"] = f"{XSS} {RL}"
        records.append(ImportRecord(answers, unit_id=world[person.unit].id, submitted_on=person.day))
    bulk_import_responses(questionnaire, records)

    round = open_round()
    round.name = XSS + " " + RL
    session = sorted(round.sessions, key=lambda s: s.unit.code)[0]
    for unit in {s.unit for s in round.sessions} | set(world.values()):
        unit.name_zh = XSS + unit.code
        unit.name_en = XSS + " " + RL
    for rater in round.raters:
        rater.name = (XSS + rater.name)[:120]
    for user in db.session.query(User).all():
        user.display_name = XSS
    rounds.schedule_session(session=session, starts_at=utcnow(), place=XSS + " " + RL)
    scoring_sessions.open_session(session=session)
    issued = join_codes.issue_join_codes(session=session)
    db.session.flush()
    first = db.session.get(RoundRater, issued[0].rater_id)
    area = sc.criteria_of(session)[0]["code"]
    sc.apply_changes(rater=first, session=session, entries=[],
                     comments=[sc.CommentChange(area, XSS + " " + RL, 1)])
    db.session.commit()
    return PayloadWorld(
        questionnaire_id=questionnaire.id, slug=questionnaire.slug, round_id=round.id, session_id=session.id,
        unit_id=session.unit_id, rater_ids=[i.rater_id for i in issued], codes={i.rater_id: i.code for i in issued},
    )


__all__ = ["RAW_MARKERS", "RL", "SHORT", "XSS", "PayloadWorld", "payload_world", "OrgUnit", "ReportSession", "Round"]
