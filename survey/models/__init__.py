"""Typed SQLAlchemy 2.0 models. Import every model module here so Alembic sees them."""

from survey.models.accounts import LoginAttempt, LoginSession
from survey.models.answer_rows import AnswerRow
from survey.models.audit import GENESIS, AuditEntry, AuditHead
from survey.models.frameworks import Framework, FrameworkVersion
from survey.models.publications import Publication, PublishedFile
from survey.models.questionnaires import Questionnaire, QuestionnaireKind, QuestionnaireStatus, QuestionnaireVersion
from survey.models.responses import Invite, ParticipationTarget, Response, ResponseStatus
from survey.models.rounds import (
    Conflict,
    ConflictKind,
    JoinCode,
    PanelMember,
    ReportSession,
    Round,
    RoundRater,
    RoundStatus,
    RoundUnit,
    SessionStatus,
)
from survey.models.scorecards import (
    AreaComment,
    RaterDevice,
    Scorecard,
    ScorecardReopening,
    ScorecardStatus,
    ScoreEntry,
)
from survey.models.units import OrgLevel, OrgUnit, UnitKind
from survey.models.users import RaterType, RepresentativeProfile, Role, User

__all__ = [
    "GENESIS",
    "AuditEntry",
    "AuditHead",
    "Publication",
    "PublishedFile",
    "AnswerRow",
    "AreaComment",
    "RaterDevice",
    "Scorecard",
    "ScorecardReopening",
    "ScorecardStatus",
    "ScoreEntry",
    "Conflict",
    "ConflictKind",
    "Framework",
    "JoinCode",
    "FrameworkVersion",
    "PanelMember",
    "ReportSession",
    "Round",
    "RoundRater",
    "RoundStatus",
    "RoundUnit",
    "SessionStatus",
    "Invite",
    "ParticipationTarget",
    "Questionnaire",
    "QuestionnaireKind",
    "QuestionnaireStatus",
    "QuestionnaireVersion",
    "Response",
    "ResponseStatus",
    "LoginAttempt",
    "LoginSession",
    "OrgLevel",
    "OrgUnit",
    "RaterType",
    "RepresentativeProfile",
    "Role",
    "UnitKind",
    "User",
]
