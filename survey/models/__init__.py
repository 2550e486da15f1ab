"""Typed SQLAlchemy 2.0 models. Import every model module here so Alembic sees them."""

from survey.models.accounts import LoginAttempt, LoginSession
from survey.models.units import OrgLevel, OrgUnit, UnitKind
from survey.models.users import RaterType, RepresentativeProfile, Role, User

__all__ = [
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
