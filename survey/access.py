"""Who may use each route: every view declares it, and undeclared routes are refused.

``@allow(Role.STAFF, ...)`` or ``@public`` records the audience on the view
function; a ``before_request`` hook enforces it for every endpoint, so a view
that forgets to declare is denied (403) rather than left open, and the route
table test fails.
"""

from __future__ import annotations

from typing import Callable, TypeVar

from flask import abort, current_app, redirect, request, url_for
from flask_login import current_user

from survey.models import Role

F = TypeVar("F", bound=Callable)

#: Marker for routes anybody may use, logged in or not.
PUBLIC = "public"
#: Marker for routes every logged-in user may use.
AUTHENTICATED = "authenticated"

_ATTR = "_kaimen_access"


def allow(*roles: Role) -> Callable[[F], F]:
    """Restrict a view to the given roles."""
    if not roles:
        raise ValueError("allow() needs at least one role; use @public or @authenticated")

    def mark(view: F) -> F:
        setattr(view, _ATTR, frozenset(roles))
        return view

    return mark


def public(view: F) -> F:
    setattr(view, _ATTR, PUBLIC)
    return view


def authenticated(view: F) -> F:
    setattr(view, _ATTR, AUTHENTICATED)
    return view


def declared_access(endpoint: str):
    """The audience a route declared, or None when it declared nothing."""
    if endpoint == "static":
        return PUBLIC
    view = current_app.view_functions.get(endpoint)
    return getattr(view, _ATTR, None)


def enforce_access():
    """``before_request`` hook: apply the declared audience of the matched route."""
    if request.endpoint is None:  # 404/405 are answered by routing
        return None
    audience = declared_access(request.endpoint)
    if audience is None:
        current_app.logger.error("route %s declares no audience; refusing", request.endpoint)
        abort(403)
    if audience == PUBLIC:
        return None
    if not current_user.is_authenticated:
        if request.method in ("GET", "HEAD"):
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        abort(401)
    if audience == AUTHENTICATED or current_user.role in audience:
        return None
    abort(403)
