"""Questionnaire life cycle: create, edit (a new version once published), publish, close."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select

from forms.questionnaire.checks import Problem, publish_problems
from forms.questionnaire.spec import Questionnaire as Spec
from forms.questionnaire.versions import compare_versions
from survey.extensions import db
from survey.models import Questionnaire, QuestionnaireKind, QuestionnaireStatus, QuestionnaireVersion, Response, User
from survey.models.base import utcnow
from survey.services.errors import Conflict, DomainError


class PublishBlocked(DomainError):
    """Publishing refused; ``problems`` lists every reason (the publish checklist)."""

    status_code = 409

    def __init__(self, problems: list[Problem]):
        super().__init__(
            ngettext(
                "The questionnaire has %(num)d problem that blocks publishing.",
                "The questionnaire has %(num)d problems that block publishing.",
                len(problems),
            )
        )
        self.problems = problems


def _display_title(spec: Spec) -> str:
    """The list title: Chinese, or English for forms written only in English."""
    return (spec.title.zh or spec.title.en or "")[:300]


def new_slug() -> str:
    """Short, unguessable public identifier for links and QR codes."""
    return secrets.token_urlsafe(9)


def create_questionnaire(
    *, spec: Spec, kind: QuestionnaireKind, created_by: User | None = None, slug: str | None = None
) -> Questionnaire:
    """A new questionnaire with one draft version."""
    if slug and db.session.scalar(select(Questionnaire.id).where(Questionnaire.slug == slug)) is not None:
        raise Conflict(_("The link name %(slug)s is already in use.", slug=slug))
    questionnaire = Questionnaire(
        slug=slug or new_slug(),
        title=_display_title(spec),
        kind=kind,
        anonymous=spec.anonymous,
        created_by_id=created_by.id if created_by else None,
    )
    questionnaire.versions.append(QuestionnaireVersion(number=1, spec=spec.to_dict()))
    db.session.add(questionnaire)
    db.session.flush()
    return questionnaire


def latest_version(questionnaire: Questionnaire) -> QuestionnaireVersion:
    return questionnaire.versions[-1]


def live_version(questionnaire: Questionnaire) -> QuestionnaireVersion | None:
    """The newest published version: what respondents answer."""
    published = [v for v in questionnaire.versions if v.frozen]
    return published[-1] if published else None


#: Parsed specs of published versions, which never change (a frozen dataclass is safe to share).
#: Keyed by id and publication time, so a reused id (rolled-back tests) never hits an old entry.
_PUBLISHED_SPECS: dict[tuple[int, object], Spec] = {}
_PUBLISHED_SPECS_MAX = 256


def spec_of(version: QuestionnaireVersion) -> Spec:
    """The version's spec; parsing is the costliest step of a submission, so published ones are kept."""
    if version.published_at is None or version.id is None:
        return Spec.from_dict(version.spec)
    key = (version.id, version.published_at)
    spec = _PUBLISHED_SPECS.get(key)
    if spec is None:
        spec = Spec.from_dict(version.spec)
        if len(_PUBLISHED_SPECS) >= _PUBLISHED_SPECS_MAX:
            _PUBLISHED_SPECS.clear()
        _PUBLISHED_SPECS[key] = spec
    return spec


def edit_questionnaire(*, questionnaire: Questionnaire, spec: Spec) -> QuestionnaireVersion:
    """Save an edit: into the open draft, or into a new draft when the newest version is published."""
    if questionnaire.status is QuestionnaireStatus.CLOSED:
        raise Conflict(_("A closed questionnaire cannot be edited."))
    if questionnaire.anonymous != spec.anonymous and live_version(questionnaire) is not None:
        raise Conflict(_("Anonymity cannot change once responses may have been collected."))
    version = latest_version(questionnaire)
    if version.frozen:
        version = QuestionnaireVersion(number=version.number + 1, spec=spec.to_dict())
        questionnaire.versions.append(version)
    else:
        version.spec = spec.to_dict()
    questionnaire.title = _display_title(spec)
    questionnaire.anonymous = spec.anonymous
    db.session.flush()
    return version


def publish_questionnaire(
    *, questionnaire: Questionnaire, opens_at: datetime | None = None, closes_at: datetime | None = None
) -> QuestionnaireVersion:
    """Freeze the draft and make it the live version, or refuse with every problem found."""
    version = latest_version(questionnaire)
    if version.frozen:
        raise Conflict(_("There is no draft to publish: version %(n)d is already published.", n=version.number))
    if questionnaire.status is QuestionnaireStatus.CLOSED:
        raise Conflict(_("A closed questionnaire cannot be published again."))
    if opens_at and closes_at and closes_at <= opens_at:
        raise Conflict(_("The closing time must be after the opening time."))
    spec = spec_of(version)
    problems = publish_problems(spec)
    if problems:
        raise PublishBlocked(problems)
    previous = live_version(questionnaire)
    if previous is not None:
        comparison = compare_versions(spec_of(previous), spec)
        version.changes = {
            "from_version": previous.number,
            "questions": {c.question: {"kind": c.kind.value, "differences": list(c.differences)} for c in comparison.changes},
            "removed": list(comparison.removed),
        }
    version.published_at = utcnow()
    questionnaire.status = QuestionnaireStatus.PUBLISHED
    questionnaire.opens_at = opens_at if opens_at is not None else questionnaire.opens_at
    questionnaire.closes_at = closes_at if closes_at is not None else questionnaire.closes_at
    db.session.flush()
    return version


def close_questionnaire(*, questionnaire: Questionnaire) -> None:
    if questionnaire.status is not QuestionnaireStatus.PUBLISHED:
        raise Conflict(_("Only a published questionnaire can be closed."))
    questionnaire.status = QuestionnaireStatus.CLOSED
    questionnaire.closes_at = min(questionnaire.closes_at or utcnow(), utcnow())
    db.session.flush()


def is_open(questionnaire: Questionnaire, now: datetime | None = None) -> bool:
    """Accepting answers: published, and within its open and close times."""
    now = now or utcnow()
    return (
        questionnaire.status is QuestionnaireStatus.PUBLISHED
        and (questionnaire.opens_at is None or questionnaire.opens_at <= now)
        and (questionnaire.closes_at is None or now < questionnaire.closes_at)
    )


def get_questionnaire(*, questionnaire_id: int | None = None, slug: str | None = None) -> Questionnaire | None:
    if questionnaire_id is not None:
        return db.session.get(Questionnaire, questionnaire_id)
    return db.session.scalar(select(Questionnaire).where(Questionnaire.slug == slug))


@dataclass(frozen=True)
class QuestionnaireSummary:
    questionnaire: Questionnaire
    versions: int
    submitted: int


def list_questionnaires() -> list[QuestionnaireSummary]:
    """Every questionnaire with its version count and submitted responses."""
    submitted = (
        select(Response.questionnaire_id, func.count().label("n"))
        .where(Response.submitted_on.is_not(None))
        .group_by(Response.questionnaire_id)
        .subquery()
    )
    versions = (
        select(QuestionnaireVersion.questionnaire_id, func.count().label("n"))
        .group_by(QuestionnaireVersion.questionnaire_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Questionnaire, func.coalesce(versions.c.n, 0), func.coalesce(submitted.c.n, 0))
        .outerjoin(versions, versions.c.questionnaire_id == Questionnaire.id)
        .outerjoin(submitted, submitted.c.questionnaire_id == Questionnaire.id)
        .order_by(Questionnaire.id)
    ).all()
    return [QuestionnaireSummary(q, int(v), int(s)) for q, v, s in rows]
