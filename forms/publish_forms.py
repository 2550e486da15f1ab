"""Staff form for publishing a round's results (no database access here).

The note says what changed since the previous version; the service refuses a
version 2 or later without one, and the view marks the field required then.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import Length

#: Same limit as ``survey.services.publications.MAX_NOTE``.
MAX_NOTE = 2000


class PublishForm(FlaskForm):
    note = TextAreaField(
        _l("What changed since the previous version"),
        validators=[Length(max=MAX_NOTE)],
        description=_l("Required from version 2 on; printed on the publication and shown to evaluators."),
        render_kw={"rows": 4, "maxlength": MAX_NOTE},
    )

    def require_note(self, required: bool) -> PublishForm:
        """Mark the note as required in the page (the service refuses a correction without one)."""
        if required:
            self.note.render_kw = {**(self.note.render_kw or {}), "required": True}
            self.note.flags.required = True
        return self
