"""Staff forms of on-site scoring: closing a session, reopening a submitted scorecard.

Opening a session and revoking a rater's phone are bodiless POSTs (``forms.accounts.ActionForm``).
Whether a session may open or close, and whether a scorecard may be reopened, is
decided by the services; these forms only check what was typed.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, TextAreaField
from wtforms.validators import DataRequired, Length

#: As long as the scorecard service accepts (survey.services.scorecards.MAX_COMMENT).
MAX_REASON = 2000


class CloseSessionForm(FlaskForm):
    """Closing ends scoring for the unit: the staff member ticks a box to confirm."""

    confirm = BooleanField(
        _l("Scoring of this unit has ended: lock every scorecard"),
        validators=[DataRequired(message=_l("Tick the box to confirm that scoring has ended."))],
    )


class ReopenScorecardForm(FlaskForm):
    """Staff reopen a submitted scorecard so the rater can correct it; the reason is kept."""

    reason = TextAreaField(
        _l("Reason for reopening"),
        validators=[
            DataRequired(message=_l("Give the reason for reopening the scorecard.")),
            Length(max=MAX_REASON, message=_l("The reason is too long (at most %(max)d characters).")),
        ],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        render_kw={"rows": 2, "maxlength": MAX_REASON},
    )
