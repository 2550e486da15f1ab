"""Translated display names of the model's enumerations, for templates and reports."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from survey.models import OrgLevel, RaterType, Role, UnitKind

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


def template_helpers() -> dict:
    return {
        "role_label": ROLE_LABELS.__getitem__,
        "rater_type_label": RATER_TYPE_LABELS.__getitem__,
        "level_label": LEVEL_LABELS.__getitem__,
        "kind_label": KIND_LABELS.__getitem__,
    }
