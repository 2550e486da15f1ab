"""The public verification form: upload a file, or paste its SHA-256.

Only what was typed is checked here (one of the two, a hash of 64 hexadecimal
characters); which publication a hash belongs to is the publication service's answer.
"""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import StringField
from wtforms.validators import ValidationError

_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def normalise_hash(value: str | None) -> str:
    """What was pasted, without spaces or a ``sha256:`` prefix, in lower case."""
    text = re.sub(r"\s+", "", value or "").lower()
    return text[len("sha256:"):] if text.startswith("sha256:") else text


class VerifyForm(FlaskForm):
    file = FileField(_l("A file you downloaded"))
    sha256 = StringField(
        _l("Or its SHA-256"),
        filters=[lambda value: normalise_hash(value) if isinstance(value, str) else value],
        render_kw={"autocomplete": "off", "spellcheck": "false", "maxlength": 200,
                   "placeholder": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    )

    def uploaded(self) -> bool:
        data = self.file.data
        return bool(data) and bool(getattr(data, "filename", ""))

    def validate_sha256(self, field) -> None:
        if field.data and not _HEX64.match(field.data):
            raise ValidationError(_l("A SHA-256 must be 64 hexadecimal characters (0–9 and a–f)."))

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        if self.uploaded() and self.sha256.data:
            self.form_errors.append(_l("Upload a file or paste a SHA-256, not both."))
            return False
        if not self.uploaded() and not self.sha256.data:
            self.form_errors.append(_l("Choose a file or paste a SHA-256 to check."))
            return False
        return True
