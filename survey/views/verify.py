"""The public verification page: which published report (and version) is this file?

Anyone may upload a file or paste a SHA-256; the answer names the report, the round,
the version and when it was published, or says plainly that nothing matches. Nothing
else is revealed: no links to files, nothing about unpublished rounds. Uploads larger
than the application's limit (``MAX_CONTENT_LENGTH``, 16 MB) are refused with 413.
"""

from __future__ import annotations

from flask import Blueprint, render_template

from forms.verify_forms import VerifyForm
from survey.access import public
from survey.services import publications

bp = Blueprint("verify", __name__)


@bp.route("/verify", methods=["GET", "POST"])
@public
def index():
    form = VerifyForm()
    answer = None
    if form.validate_on_submit():
        if form.uploaded():
            found = publications.identify_upload(form.file.data.read())
            digest, size = found.sha256, found.size
            matches = found.matches
        else:
            digest, size = form.sha256.data, None
            matches = publications.find_by_hash(digest)
        answer = {"sha256": digest, "size": size, "uploaded": form.uploaded(),
                  "filename": form.file.data.filename if form.uploaded() else None,
                  "matches": publications.describe_matches(matches)}
    status = 400 if form.is_submitted() and answer is None else 200
    return render_template("verify/index.html", form=form, answer=answer), status
