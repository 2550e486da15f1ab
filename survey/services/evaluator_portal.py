"""What the evaluator portal shows and serves: published rounds and closed questionnaires only.

Every lookup takes the ids of the URL together and answers ``None`` unless
they all fit (a round that is published, a publication of that round, a file
of that publication; a questionnaire that is closed), so a guessed id gets the
same 404 whether it does not exist or is not for evaluators.

:func:`record_download` appends the ``download`` audit entry with the file's
name and SHA-256; views call it before serving and commit with it, so a file
is never served without its entry.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass

from sqlalchemy import func, select

from survey.extensions import db
from survey.models import (
    AuditEntry,
    Publication,
    PublishedFile,
    Questionnaire,
    QuestionnaireStatus,
    Response,
    Round,
    User,
)
from survey.services import audit, publications

#: The order files are listed in, then by file name.
KIND_ORDER = ("round_report", "composite_report", "unit_report", "raw_scores", "bundle")


# --------------------------------------------------------------------------- rounds


def published_rounds() -> list[publications.PublishedRound]:
    """Rounds with at least one publication, the most recently published first."""
    return publications.published_rounds()


def published_round(round_id: int) -> Round | None:
    """The round, only when it has been published."""
    round = db.session.get(Round, round_id)
    if round is None or not publications.is_published(round):
        return None
    return round


def publications_of(round: Round) -> list[Publication]:
    """Its versions, newest first."""
    return publications.publications_of(round)


def sorted_files(publication: Publication) -> list[PublishedFile]:
    rank = {kind: i for i, kind in enumerate(KIND_ORDER)}
    return sorted(publication.files, key=lambda f: (rank.get(f.kind, len(rank)), f.filename))


def published_file(round_id: int, publication_id: int, file_id: int) -> PublishedFile | None:
    """The file, only when it belongs to that publication and the publication to that round."""
    found = publications.get_published_file(publication_id, file_id)
    if found is None or found.publication.round_id != round_id:
        return None
    return found


# --------------------------------------------------------------------------- questionnaires


@dataclass(frozen=True)
class ClosedQuestionnaire:
    questionnaire: Questionnaire
    responses: int


def closed_questionnaires() -> list[ClosedQuestionnaire]:
    """Closed questionnaires with their response counts, the most recently closed first."""
    counts = dict(db.session.execute(
        select(Response.questionnaire_id, func.count(Response.id)).group_by(Response.questionnaire_id)).all())
    found = db.session.scalars(
        select(Questionnaire).where(Questionnaire.status == QuestionnaireStatus.CLOSED)).all()
    found = sorted(found, key=lambda q: (q.closes_at or q.created_at, q.id), reverse=True)
    return [ClosedQuestionnaire(q, counts.get(q.id, 0)) for q in found]


def closed_questionnaire(questionnaire_id: int) -> Questionnaire | None:
    """The questionnaire, only when it is closed (draft and open ones are not for evaluators)."""
    found = db.session.get(Questionnaire, questionnaire_id)
    if found is None or found.status is not QuestionnaireStatus.CLOSED:
        return None
    return found


def response_count(questionnaire: Questionnaire) -> int:
    return db.session.scalar(
        select(func.count(Response.id)).where(Response.questionnaire_id == questionnaire.id)) or 0


def needs_report_builder():
    """``build_for(questionnaire=, filters=)`` of the needs report, or None where it is not installed."""
    try:
        if importlib.util.find_spec("survey.services.needs_report") is None:
            return None
    except (ImportError, ValueError):
        return None
    module = importlib.import_module("survey.services.needs_report")
    return getattr(module, "build_for", None)


# --------------------------------------------------------------------------- the audit trail of downloads


def record_download(*, user: User, subject_type: str, subject_id, filename: str, sha256: str, size: int,
                    **details) -> AuditEntry:
    """The ``download`` entry: who, what (subject), the file name, its SHA-256 and size."""
    return audit.record(
        audit.DOWNLOAD, subject_type=subject_type, subject_id=subject_id, actor=user,
        details={"filename": filename, "sha256": sha256, "size": size, **details},
    )


def record_file_download(*, user: User, file: PublishedFile, portal: str) -> AuditEntry:
    publication = file.publication
    return record_download(
        user=user, subject_type="published_file", subject_id=file.id, filename=file.filename, sha256=file.sha256,
        size=file.size, round=publication.round_id, publication=publication.id, version=publication.version,
        kind=file.kind, portal=portal,
    )


__all__ = [
    "ClosedQuestionnaire",
    "closed_questionnaire",
    "closed_questionnaires",
    "needs_report_builder",
    "publications_of",
    "published_file",
    "published_round",
    "published_rounds",
    "record_download",
    "record_file_download",
    "response_count",
    "sorted_files",
    "unit_names",
]


def unit_names(files, locale: str = "zh_CN") -> dict[int, str]:
    """Unit id -> display name, for the unit reports among ``files``."""
    from survey.models import OrgUnit

    ids = {f.unit_id for f in files if f.unit_id is not None}
    if not ids:
        return {}
    return {u.id: u.name(locale) for u in db.session.scalars(select(OrgUnit).where(OrgUnit.id.in_(ids)))}
