"""Questionnaire files in and out: Kaimen JSON exports and XLSForm workbooks.

Import reads a file that staff upload (staff screens) or name (``kaimen
questionnaire import``) and creates a *draft* questionnaire from it, or
refuses it with :class:`ImportRejected`, which says why in words a person can
act on (the JSON line and column, the path of a bad spec field, every
reason a workbook was refused). The size limit is checked before any
parsing; the questionnaire is created, and the session flushed, only after
the whole file has been read, so a refused file leaves nothing behind and the
caller commits once on success.

The JSON export is an envelope around the spec, lossless for the structure
and the settings the spec does not hold::

    {"format": "kaimen-questionnaire", "version": 1,
     "kind": "needs", "slug": "Ab3…", "anonymous": true,
     "questionnaire_version": 2, "spec": {…Questionnaire.to_dict()…}}

Import accepts that envelope or a bare spec (``Questionnaire.to_dict()``
output or hand-written JSON). Responses are never exported here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath, PureWindowsPath
from typing import Literal

from flask_babel import gettext as _
from sqlalchemy import select

from forms.questionnaire.spec import Questionnaire as Spec
from forms.questionnaire.spec import SpecError
from forms.questionnaire.workbook import DEFAULT_MAX_BYTES
from forms.questionnaire.xlsform import XLSFormError, import_xlsform
from forms.questionnaire.xlsform_export import export_xlsform
from forms.uploads import JSONTooDeep, load_json
from survey.extensions import db
from survey.models import Questionnaire, QuestionnaireKind, QuestionnaireVersion, User
from survey.services.errors import DomainError
from survey.services.questionnaires import create_questionnaire, latest_version, spec_of

#: ``format`` of the JSON envelope written by :func:`export_questionnaire`.
EXPORT_FORMAT = "kaimen-questionnaire"
#: Layout version of that envelope; a newer one is refused rather than misread.
EXPORT_VERSION = 1
#: Largest file accepted for import (the XLSForm reader's own limit).
MAX_IMPORT_BYTES = DEFAULT_MAX_BYTES

JSON_MIMETYPE = "application/json"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

_SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls")
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENVELOPE_KEYS = {"format", "version", "kind", "slug", "anonymous", "questionnaire_version", "spec"}
_SLUG = re.compile(r"[A-Za-z0-9_-]{1,40}")

SourceFormat = Literal["json", "xlsform"]


class ImportRejected(DomainError):
    """A file that yields no questionnaire; nothing was stored.

    ``summary`` says what was refused; ``reasons`` lists why, one line each
    (a workbook's row-by-row reasons), and is empty when the summary says it
    all. ``message`` joins the two for places that show one line.
    """

    def __init__(self, summary: str, reasons: Sequence[str] = ()):
        self.summary = summary
        self.reasons = tuple(reasons)
        super().__init__(f"{summary} {'; '.join(self.reasons)}" if self.reasons else summary)


class VersionNotFound(DomainError):
    status_code = 404


@dataclass(frozen=True)
class ImportOutcome:
    """The new draft and what could not be kept as it was, one line each."""

    questionnaire: Questionnaire
    report: tuple[str, ...]
    source_format: SourceFormat
    spec: Spec


def import_questionnaire(
    *,
    data: bytes,
    filename: str,
    kind: QuestionnaireKind | None = None,
    created_by: User | None = None,
    max_bytes: int = MAX_IMPORT_BYTES,
) -> ImportOutcome:
    """Create a draft questionnaire from an uploaded file, or refuse the whole file.

    ``kind`` None takes the kind recorded in a Kaimen export, else ``other``.
    """
    name = PureWindowsPath(filename).name or filename  # a browser may send C:\...\form.xlsx
    if len(data) > max_bytes:
        raise ImportRejected(_("%(file)s is %(size)d bytes; the limit is %(limit)d bytes.",
                               file=name, size=len(data), limit=max_bytes))
    if not data.strip():
        raise ImportRejected(_("%(file)s is empty.", file=name))
    source_format = _detect_format(data, name)
    report: list[str] = []
    slug = None
    if source_format == "xlsform":
        try:
            result = import_xlsform(data, filename=name, max_bytes=max_bytes)
        except XLSFormError as exc:
            raise ImportRejected(_("The spreadsheet %(file)s was not imported:", file=name), exc.reasons) from None
        spec, report = result.questionnaire, list(result.report)
    else:
        spec, recorded_kind, slug = _read_json(data, name, report)
        kind = kind or recorded_kind
    questionnaire = create_questionnaire(spec=spec, kind=kind or QuestionnaireKind.OTHER, created_by=created_by,
                                         slug=slug)
    return ImportOutcome(questionnaire, tuple(report), source_format, spec)


def _detect_format(data: bytes, name: str) -> SourceFormat:
    """XLSForm by file name or package magic, JSON by file name or a leading ``{``."""
    suffix = PurePath(name).suffix.lower()
    if suffix in _SPREADSHEET_SUFFIXES or data.startswith((_ZIP_MAGIC, _OLE_MAGIC)):
        return "xlsform"
    if suffix == ".json" or data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        return "json"
    raise ImportRejected(_("%(file)s is neither a Kaimen JSON export (.json) nor an XLSForm workbook (.xlsx).",
                           file=name))


def _read_json(data: bytes, name: str, report: list[str]) -> tuple[Spec, QuestionnaireKind | None, str | None]:
    """(spec, recorded kind, reusable slug) from an export envelope or a bare spec."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRejected(_("%(file)s is not UTF-8 text (byte %(offset)d cannot be read).",
                               file=name, offset=exc.start + 1)) from None
    try:
        document = load_json(text)
    except json.JSONDecodeError as exc:
        raise ImportRejected(_("%(file)s is not valid JSON: line %(line)d, column %(column)d: %(reason)s.",
                               file=name, line=exc.lineno, column=exc.colno, reason=exc.msg)) from None
    except JSONTooDeep as exc:
        raise ImportRejected(_("%(file)s is nested more than %(n)d levels deep; a Kaimen export nests far less.",
                               file=name, n=exc.limit)) from None
    except ValueError as exc:  # digits beyond Python's limit
        raise ImportRejected(_("%(file)s cannot be read as JSON: %(reason)s.", file=name, reason=str(exc))) from None
    _refuse_unstorable_text(document, name)
    if isinstance(document, dict) and "spec" in document:
        return _read_envelope(document, name, report)
    return _read_spec(document, name, ""), None, None


def _refuse_unstorable_text(document: object, name: str) -> None:
    """JSON may escape a NUL (``\\u0000``) or a lone surrogate; no database column can hold either."""
    stack: list[tuple[str, object]] = [("", document)]
    while stack:  # a loop, not recursion: the document may be nested deeply
        path, value = stack.pop()
        texts = [value] if isinstance(value, str) else list(value) if isinstance(value, dict) else []
        for text in texts:
            if "\x00" in text or not text.isascii() and not _encodable(text):
                raise ImportRejected(_("%(file)s contains a character that cannot be stored (NUL or a lone "
                                       "surrogate) at %(path)s.", file=name, path=path or _("the top level")))
        if isinstance(value, dict):
            stack.extend(reversed([(f"{path}.{key}" if path else key, item) for key, item in value.items()]))
        elif isinstance(value, list):
            stack.extend(reversed([(f"{path}[{i}]", item) for i, item in enumerate(value)]))


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _read_spec(document: object, name: str, prefix: str) -> Spec:
    try:
        return Spec.from_dict(document)
    except SpecError as exc:
        path = ".".join(part for part in (prefix, exc.path) if part) or _("the top level")
        raise ImportRejected(_("The questionnaire in %(file)s is not valid: at %(path)s: %(reason)s.",
                               file=name, path=path, reason=exc.reason)) from None


def _envelope_error(name: str, path: str, reason: str) -> ImportRejected:
    return ImportRejected(_("%(file)s is not a valid Kaimen export: at %(path)s: %(reason)s.",
                            file=name, path=path, reason=reason))


def _read_envelope(document: dict, name: str, report: list[str]) -> tuple[Spec, QuestionnaireKind | None, str | None]:
    unknown = sorted(set(document) - _ENVELOPE_KEYS)
    if unknown:
        raise _envelope_error(name, unknown[0], _("unknown key"))
    if document.get("format") != EXPORT_FORMAT:
        raise _envelope_error(name, "format", _("expected %(expected)s, found %(found)s",
                                                expected=json.dumps(EXPORT_FORMAT),
                                                found=json.dumps(document.get("format"), ensure_ascii=False)))
    version = document.get("version")
    if type(version) is not int or version < 1:
        raise _envelope_error(name, "version", _("expected a whole number from 1"))
    if version > EXPORT_VERSION:
        raise _envelope_error(name, "version", _("version %(found)d comes from a newer Kaimen; this one reads "
                                                 "version %(known)d", found=version, known=EXPORT_VERSION))
    spec = _read_spec(document["spec"], name, "spec")
    kind = None
    if document.get("kind") is not None:
        try:
            kind = QuestionnaireKind(document["kind"])
        except (ValueError, TypeError):
            raise _envelope_error(name, "kind", _("unknown kind; use one of %(kinds)s",
                                                  kinds=", ".join(k.value for k in QuestionnaireKind))) from None
    if "anonymous" in document and not isinstance(document["anonymous"], bool):
        raise _envelope_error(name, "anonymous", _("expected true or false"))
    if "anonymous" in document and document["anonymous"] is not spec.anonymous:
        raise _envelope_error(name, "anonymous", _("it disagrees with spec.anonymous"))
    number = document.get("questionnaire_version")
    if number is not None and (type(number) is not int or number < 1):
        raise _envelope_error(name, "questionnaire_version", _("expected a whole number from 1"))
    slug = document.get("slug")
    if slug is not None and (not isinstance(slug, str) or not _SLUG.fullmatch(slug)):
        raise _envelope_error(name, "slug", _("expected 1 to 40 letters, digits, '-' or '_'"))
    if slug is not None and db.session.scalar(select(Questionnaire.id).where(Questionnaire.slug == slug)):
        report.append(_("slug '%(slug)s' is already used by another questionnaire; the import gets a new link",
                        slug=slug))
        slug = None
    if number is not None and number > 1:
        report.append(_("exported as version %(number)d; imported as version 1 of a new draft", number=number))
    return spec, kind, slug


def export_questionnaire(
    *, questionnaire: Questionnaire, version: int | None = None, fmt: Literal["json", "xlsform"] = "json"
) -> tuple[bytes, str, str]:
    """(content, file name, mimetype) of one version, by default the newest, for re-import or other tools."""
    chosen = _version(questionnaire, version)
    spec = spec_of(chosen)
    stem = f"questionnaire-{questionnaire.id}-v{chosen.number}"
    if fmt == "xlsform":
        return export_xlsform(spec), f"{stem}.xlsx", XLSX_MIMETYPE
    if fmt != "json":
        raise DomainError(_("Unknown export format %(fmt)s; use json or xlsform.", fmt=fmt))
    envelope = {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "kind": questionnaire.kind.value,
        "slug": questionnaire.slug,
        "anonymous": spec.anonymous,
        "questionnaire_version": chosen.number,
        "spec": spec.to_dict(),
    }
    content = json.dumps(envelope, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"
    return content, f"{stem}.json", JSON_MIMETYPE


def _version(questionnaire: Questionnaire, number: int | None) -> QuestionnaireVersion:
    if number is None:
        return latest_version(questionnaire)
    for candidate in questionnaire.versions:
        if candidate.number == number:
            return candidate
    raise VersionNotFound(_("Questionnaire %(id)d has no version %(number)d (it has versions 1 to %(last)d).",
                            id=questionnaire.id, number=number, last=latest_version(questionnaire).number))
