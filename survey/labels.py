"""Translated display names of the model's enumerations, for templates and reports."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from forms.questionnaire.conditions import to_xlsform_text

from survey.models import OrgLevel, QuestionnaireKind, QuestionnaireStatus, RaterType, Role, UnitKind

ROLE_LABELS = {
    Role.ADMIN: _l("Administrator"),
    Role.STAFF: _l("Staff"),
    Role.REPRESENTATIVE: _l("Member representative"),
    Role.EVALUATOR: _l("Third-party evaluator"),
}

RATER_TYPE_LABELS = {
    RaterType.WORKER_REPRESENTATIVE: _l("Worker representative"),
    RaterType.UNION_CHAIR: _l("Union chair"),
    RaterType.MODEL_WORKER: _l("Model worker"),
    RaterType.OTHER: _l("Other"),
}

LEVEL_LABELS = {
    OrgLevel.DISTRICT: _l("District federation"),
    OrgLevel.SUB_DISTRICT: _l("Sub-district federation"),
    OrgLevel.GRASSROOTS: _l("Grassroots unit"),
}

KIND_LABELS = {
    UnitKind.ENTERPRISE: _l("Enterprise union"),
    UnitKind.COMMUNITY_JOINT: _l("Community joint union"),
    UnitKind.INDUSTRY_JOINT: _l("Industry joint union"),
    UnitKind.BUREAU: _l("Bureau union"),
    UnitKind.DIRECTLY_AFFILIATED: _l("Directly affiliated union"),
}


QUESTIONNAIRE_KIND_LABELS = {
    QuestionnaireKind.NEEDS: _l("Member needs"),
    QuestionnaireKind.SATISFACTION: _l("Satisfaction rating"),
    QuestionnaireKind.HOME_EVALUATION: _l("Members evaluate their home"),
    QuestionnaireKind.OTHER: _l("Other"),
}

QUESTIONNAIRE_STATUS_LABELS = {
    QuestionnaireStatus.DRAFT: _l("Draft"),
    QuestionnaireStatus.PUBLISHED: _l("Published"),
    QuestionnaireStatus.CLOSED: _l("Closed"),
}

#: forms.questionnaire.versions.ChangeKind values
CHANGE_KIND_LABELS = {
    "unchanged": _l("unchanged"),
    "reworded": _l("reworded (still comparable)"),
    "changed": _l("changed (not comparable)"),
    "added": _l("added"),
}


def local_time(value) -> str | None:
    """A stored UTC time in the federation's time zone, to the minute."""
    from survey.views.util import utc_to_local

    local = utc_to_local(value)
    return local.strftime("%Y-%m-%d %H:%M") if local else None


def template_helpers() -> dict:
    return {
        "role_label": ROLE_LABELS.__getitem__,
        "rater_type_label": RATER_TYPE_LABELS.__getitem__,
        "level_label": LEVEL_LABELS.__getitem__,
        "kind_label": KIND_LABELS.__getitem__,
        "questionnaire_kind_label": QUESTIONNAIRE_KIND_LABELS.__getitem__,
        "questionnaire_status_label": QUESTIONNAIRE_STATUS_LABELS.__getitem__,
        "change_kind_label": CHANGE_KIND_LABELS.__getitem__,
        "local_time": local_time,
        "condition_text": to_xlsform_text,
    }
