"""Answering a questionnaire: start or resume, save page by page, submit exactly once.

Every response is keyed by a client-generated id, unique per questionnaire: a
double tap, a refresh or a retry after a dropped connection finds the same row
instead of making a second one. Answers to questions that are hidden by their
conditions are never stored.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from forms.questionnaire.answers import SectionResult, clean_section, validate_response
from forms.questionnaire.checks import drop_hidden, visible_questions
from forms.questionnaire.spec import Questionnaire as Spec
from survey.extensions import db
from survey.models import Invite, Questionnaire, QuestionnaireVersion, Response, ResponseStatus
from survey.models.base import utcnow
from survey.services.answer_columns import write_answer_row
from survey.services.errors import Conflict, DomainError
from survey.services.invites import InviteRefused, redeem_invite
from survey.services.questionnaires import is_open, live_version, spec_of

CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class QuestionnaireNotOpen(DomainError):
    status_code = 409


class ResponseIncomplete(DomainError):
    """Submission refused: ``errors`` by field, ``section`` where the first one is."""

    status_code = 400

    def __init__(self, errors: dict[str, list[str]], section: str | None):
        super().__init__(_("Some answers are missing or invalid."))
        self.errors = errors
        self.section = section


def new_client_id() -> str:
    return secrets.token_urlsafe(24)


def _resume_hash(code: str) -> str:
    return hashlib.sha256("".join(code.split()).upper().encode("ascii", "replace")).hexdigest()


def new_resume_code() -> str:
    """Twelve characters a respondent can write down: 60 random bits, enough for a resume key."""
    alphabet = "ABCDEFGHJKMNPQRSTVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(12))


def _require_open(questionnaire: Questionnaire) -> None:
    if not is_open(questionnaire):
        raise QuestionnaireNotOpen(_("This questionnaire is not accepting answers."))


def check_client_id(client_id: str) -> str:
    if not isinstance(client_id, str) or not CLIENT_ID.fullmatch(client_id):
        raise DomainError(_("The submission id must be 16 to 64 letters, digits, '-' or '_'."))
    return client_id


@dataclass(frozen=True)
class Started:
    response: Response
    #: Shown once to the respondent, only when the response was created now.
    resume_code: str | None
    created: bool


def start_response(*, questionnaire: Questionnaire, client_id: str, invite: Invite | None = None) -> Started:
    """Create the response for this client id, or return the one it already has."""
    check_client_id(client_id)
    existing = _by_client_id(questionnaire, client_id)
    if existing is not None:
        return Started(existing, None, False)
    _require_open(questionnaire)
    version = live_version(questionnaire)
    code = new_resume_code()
    response = _new_response(questionnaire, client_id, version, spec_of(version), invite, utcnow(),
                             answers={}, resume_key_hash=_resume_hash(code))
    try:
        with db.session.begin_nested():
            db.session.add(response)
    except IntegrityError:  # the same client id raced us: theirs stands
        return Started(_by_client_id(questionnaire, client_id), None, False)
    return Started(response, code, True)


def _new_response(questionnaire: Questionnaire, client_id: str, version: QuestionnaireVersion, spec: Spec,
                  invite: Invite | None, now: datetime, **fields) -> Response:
    """A response to ``version``, started today, tied to the invite's unit (and to the invite
    itself only when the questionnaire is not anonymous); ``fields`` set the rest."""
    response = Response(
        questionnaire_id=questionnaire.id,
        version_id=version.id,
        client_id=client_id,
        unit_id=invite.unit_id if invite else None,
        invite_id=None if questionnaire.anonymous or invite is None else invite.id,
        started_on=now.date(),
        current_section=spec.sections[0].id,
        **fields,
    )
    response.questionnaire, response.version = questionnaire, version
    return response


def start_with_invite_code(*, questionnaire: Questionnaire, client_id: str, invite_code: str | None) -> Started:
    """Start (or find) the response; the invite is used only by the first start of this client id."""
    invite = None
    if invite_code is not None and _by_client_id(questionnaire, check_client_id(client_id)) is None:
        try:
            with db.session.begin_nested():
                invite = redeem_invite(questionnaire=questionnaire, code=invite_code)
        except InviteRefused:
            # A simultaneous twin of this request (double tap) may have used it and committed.
            if _by_client_id(questionnaire, client_id) is None:
                raise
    return start_response(questionnaire=questionnaire, client_id=client_id, invite=invite)


def _by_client_id(questionnaire: Questionnaire, client_id: str) -> Response | None:
    return db.session.scalar(
        select(Response).where(Response.questionnaire_id == questionnaire.id, Response.client_id == client_id)
    )


def resume_response(*, questionnaire: Questionnaire, code: str) -> Response:
    """Find an unfinished response by the resume code shown when it was started."""
    response = db.session.scalar(
        select(Response).where(
            Response.questionnaire_id == questionnaire.id, Response.resume_key_hash == _resume_hash(code)
        )
    )
    if response is None:
        raise DomainError(_("No unfinished response has this resume code."))
    return response


def sections_shown(spec: Spec, answers: Mapping[str, object]) -> tuple[str, ...]:
    return visible_questions(spec, answers).sections


def neighbour_section(spec: Spec, answers: Mapping[str, object], section_id: str, step: int) -> str | None:
    """The next (step=1) or previous (step=-1) section the respondent is shown."""
    order = [s.id for s in spec.sections]
    shown = set(sections_shown(spec, answers))
    index = order.index(section_id) + step
    while 0 <= index < len(order):
        if order[index] in shown:
            return order[index]
        index += step
    return None


def save_section(*, response: Response, section_id: str, formdata) -> SectionResult:
    """Validate one page and store its answers; on errors nothing is stored."""
    if response.status is ResponseStatus.SUBMITTED:
        raise Conflict(_("This response has already been submitted."))
    _require_open(response.questionnaire)
    spec = spec_of(response.version)
    if spec.section(section_id) is None:
        raise DomainError(_("There is no page %(section)s in this questionnaire.", section=section_id))
    result = clean_section(spec, section_id, formdata, previous_answers=response.answers)
    if not result.ok:
        return result
    page = {q.id for q in spec.section(section_id).questions}
    merged = {qid: value for qid, value in response.answers.items() if qid not in page}
    merged.update(result.answers)
    # A changed answer can hide later questions: their old answers go too.
    response.answers = drop_hidden(spec, merged)
    response.current_section = neighbour_section(spec, response.answers, section_id, 1) or section_id
    db.session.flush()
    return result


@dataclass(frozen=True)
class Receipt:
    response_id: int
    client_id: str
    submitted_on: str
    already_submitted: bool


def submit_response(*, response: Response) -> Receipt:
    """Check every shown section and lock the response; a repeat returns the same receipt."""
    if response.status is ResponseStatus.SUBMITTED:
        return _receipt(response, already=True)
    _require_open(response.questionnaire)
    spec = spec_of(response.version)
    cleaned, errors = validate_response(spec, response.answers)
    if errors:
        raise ResponseIncomplete(errors, _first_section_with_error(spec, errors))
    _mark_submitted(response, cleaned)
    return _receipt(response, already=False)


def submit_whole_response(
    *, questionnaire: Questionnaire, client_id: str, answers: object, invite: Invite | None = None
) -> Receipt:
    """For API clients: validate and store a complete response in one call, idempotently."""
    check_client_id(client_id)
    existing = _by_client_id(questionnaire, client_id)
    if existing is not None and existing.status is ResponseStatus.SUBMITTED:
        if existing.answers != (validate_response(spec_of(existing.version), answers)[0]):
            raise Conflict(_("A different response was already submitted with this submission id."))
        return _receipt(existing, already=True)
    _require_open(questionnaire)
    # A response already started keeps its version; a new one answers the live version.
    spec = spec_of(existing.version if existing is not None else live_version(questionnaire))
    cleaned, errors = validate_response(spec, answers)
    if errors:
        raise ResponseIncomplete(errors, _first_section_with_error(spec, errors))
    if existing is not None:  # started in the browser, finished through the API
        _mark_submitted(existing, cleaned)
        return _receipt(existing, already=False)
    created = _create_submitted(questionnaire, client_id, live_version(questionnaire), spec, cleaned, invite)
    if created is None:  # an identical request raced us and committed first: it is a repeat
        return submit_whole_response(questionnaire=questionnaire, client_id=client_id, answers=answers)
    return _receipt(created, already=False)


def _create_submitted(questionnaire: Questionnaire, client_id: str, version: QuestionnaireVersion, spec: Spec,
                      cleaned: dict, invite: Invite | None) -> Response | None:
    """Insert a whole response as submitted, with its answer row: one INSERT each, no UPDATE.

    Returns None when another request stored the same client id first.
    """
    now = utcnow()
    response = _new_response(questionnaire, client_id, version, spec, invite, now, answers=cleaned,
                             status=ResponseStatus.SUBMITTED, submitted_on=now.date(),
                             submitted_at=None if questionnaire.anonymous else now)
    try:
        with db.session.begin_nested():
            db.session.add(response)
    except IntegrityError:
        return None
    write_answer_row(response, new=True)
    return response


def find_response(*, questionnaire: Questionnaire, client_id: str) -> Response | None:
    """The response a client id (held in the respondent's session) refers to."""
    return _by_client_id(questionnaire, client_id)


def is_submitted(*, questionnaire: Questionnaire, client_id: str) -> bool:
    response = _by_client_id(questionnaire, client_id)
    return response is not None and response.status is ResponseStatus.SUBMITTED


def submit_with_invite_code(
    *, questionnaire: Questionnaire, client_id: str, answers: object, invite_code: str | None
) -> Receipt:
    """Redeem the invite only for a first submission, so a retry gets its receipt back."""
    invite = None
    if invite_code is not None and not is_submitted(questionnaire=questionnaire, client_id=client_id):
        try:
            invite = redeem_invite(questionnaire=questionnaire, code=invite_code)
        except InviteRefused:
            # An identical request may have used the code and committed while this one
            # waited for the invite row (PostgreSQL): then this one is a repeat.
            if not is_submitted(questionnaire=questionnaire, client_id=client_id):
                raise
    return submit_whole_response(questionnaire=questionnaire, client_id=client_id, answers=answers, invite=invite)


def _mark_submitted(response: Response, cleaned: dict) -> None:
    now = utcnow()
    response.answers = cleaned
    response.status = ResponseStatus.SUBMITTED
    response.submitted_on = now.date()
    response.submitted_at = None if response.questionnaire.anonymous else now
    response.resume_key_hash = None
    db.session.flush()
    write_answer_row(response)  # the packed row analysis reads, in the same transaction


def _receipt(response: Response, *, already: bool) -> Receipt:
    return Receipt(response.id, response.client_id, response.submitted_on.isoformat(), already)


def _first_section_with_error(spec: Spec, errors: Mapping[str, list[str]]) -> str | None:
    for section in spec.sections:
        for question in section.questions:
            if any(key == question.id or key.startswith(question.id + "__") for key in errors):
                return section.id
    return None
