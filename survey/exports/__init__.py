"""Response exports for outside analysts: CSV, XLSX, SPSS ``.sav`` and JSON.

Every format has one row per response and the same columns (see
:mod:`survey.exports.table`): facts about the response, then the codebook's
variables — multiple choice as 0/1 columns, single choice as codes that stay
the same across versions, ranks, scale values, numbers, dates and texts.

- **CSV**: UTF-8 with a byte-order mark, so Excel reads Chinese correctly.
- **XLSX**: a ``responses`` sheet (continued on ``responses (2)``, ... past
  Excel's 1,048,576 rows) and a ``codebook`` sheet with every variable's
  labels, value labels and versions; written with openpyxl's write-only mode.
- **SPSS .sav**: variable labels, value labels, measurement levels and date
  formats, written by pyreadstat (see :mod:`survey.exports.spss`).
- **JSON**: an array of objects keyed by variable name, ``null`` for no answer.

In CSV and XLSX, text cells that start with ``= + - @``, a tab or a carriage
return get a leading single quote so a spreadsheet never runs them as a
formula; numeric columns stay numbers. JSON and SPSS files are not opened by
spreadsheets and keep texts exactly as answered.

Everything streams: the answer matrix is read a chunk at a time
(``survey.services.answer_columns.iter_matrix``) and each chunk is written
before the next is read, so memory does not grow with the number of responses.
CSV and JSON come out as an iterator of byte chunks; XLSX and SAV (zip and
binary formats written by their libraries) go through a temporary file that
is streamed out and deleted.

A web view streaming :attr:`ExportFile.chunks` must keep the request context
alive (``flask.stream_with_context``): the rows are read while it iterates.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from flask_babel import gettext as _

from survey.exports.table import UnitCodes, chunk_cells, export_columns, neutralise
from survey.models import Questionnaire
from survey.services.answer_columns import MatrixFilter, count_rows, iter_matrix, questionnaire_codebook
from survey.services.errors import DomainError

#: Format -> (MIME type, file extension).
FORMATS = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "sav": ("application/x-spss-sav", "sav"),
    "json": ("application/json", "json"),
}
#: Responses read and written per step.
EXPORT_CHUNK = 20_000
#: Rows per piece of the JSON stream.
JSON_PIECE = 1_000
#: Bytes per piece when a finished file is streamed out.
FILE_PIECE = 1 << 20


class ExportError(DomainError):
    """An export that cannot be made (unknown format or language)."""


@dataclass(frozen=True)
class ExportFile:
    """A download: its file name, MIME type, and the content as an iterator of bytes."""

    filename: str
    mimetype: str
    chunks: Iterator[bytes]
    #: Responses the export goes through (before answer filters).
    rows: int


class _Job:
    """What one export needs: the questionnaire, its columns, unit codes, the chunks to write."""

    def __init__(self, questionnaire: Questionnaire, filters: MatrixFilter | None, language: str,
                 progress: Callable[[int], None] | None, chunk_rows: int):
        if language not in ("zh", "en"):
            raise ExportError(_("Unknown language %(language)s; use zh or en.", language=language))
        self.questionnaire = questionnaire
        self.filters = filters
        self.locale = language
        self.progress = progress
        self.chunk_rows = chunk_rows
        self.rows = count_rows(questionnaire, filters)  # also refuses unknown filters, before any output
        self.codebook = questionnaire_codebook(questionnaire)
        self.columns = export_columns(self.codebook)
        self.names = [c.name for c in self.columns]
        self.units = UnitCodes()

    def chunks(self):
        for chunk in iter_matrix(self.questionnaire, self.filters, chunk_rows=self.chunk_rows, with_texts=True):
            yield chunk
            if self.progress:
                self.progress(len(chunk.rows))

    def cells(self, *, dates_as_text: bool, spreadsheet: bool):
        """Per chunk: its rows as tuples."""
        for chunk in self.chunks():
            columns = chunk_cells(chunk, self.columns, self.units, dates_as_text=dates_as_text,
                                  text=neutralise if spreadsheet else None)
            yield list(zip(*columns))


def _csv(job: _Job) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(job.names)
    yield ("\ufeff" + buffer.getvalue()).encode("utf-8")
    for rows in job.cells(dates_as_text=True, spreadsheet=True):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(rows)
        yield buffer.getvalue().encode("utf-8")


def _json(job: _Job) -> Iterator[bytes]:
    yield b"["
    separator = "\n"
    names = job.names
    dumps = json.JSONEncoder(ensure_ascii=False).encode
    for rows in job.cells(dates_as_text=True, spreadsheet=False):
        for start in range(0, len(rows), JSON_PIECE):  # pieces of a few MB, not one string per chunk
            piece = ",\n".join(dumps(dict(zip(names, row))) for row in rows[start:start + JSON_PIECE])
            yield (separator + piece).encode("utf-8")
            separator = ",\n"
    yield b"\n]\n"


def _via_file(write: Callable[[Path], None]) -> Iterator[bytes]:
    """Write with ``write`` into a temporary file, then stream it out in pieces and delete it."""
    handle, name = tempfile.mkstemp(prefix="kaimen-export-")
    os.close(handle)
    path = Path(name)
    try:
        write(path)
        with open(path, "rb") as stream:
            while piece := stream.read(FILE_PIECE):
                yield piece
    finally:
        path.unlink(missing_ok=True)


def _writer(fmt: str):
    if fmt == "xlsx":
        from survey.exports.spreadsheet import write_xlsx

        return write_xlsx
    from survey.exports.spss import write_sav

    return write_sav


def _job(questionnaire, fmt, filters, language, progress, chunk_rows) -> _Job:
    if fmt not in FORMATS:
        raise ExportError(_("Unknown export format %(format)s; use csv, xlsx, sav or json.", format=fmt))
    return _Job(questionnaire, filters, language, progress, chunk_rows)


def export_filename(questionnaire: Questionnaire, fmt: str) -> str:
    return f"questionnaire-{questionnaire.id}-responses.{FORMATS[fmt][1]}"


def export_responses(
    questionnaire: Questionnaire,
    fmt: str,
    *,
    filters: MatrixFilter | None = None,
    language: str = "zh",
    progress: Callable[[int], None] | None = None,
    chunk_rows: int = EXPORT_CHUNK,
) -> ExportFile:
    """The questionnaire's responses as a download in ``fmt`` (csv, xlsx, sav or json).

    ``language`` picks the labels (zh or en) of the codebook sheet and of the
    SPSS variables. Raises :class:`ExportError` or
    ``answer_columns.FilterError`` at once; the content is produced while
    ``chunks`` is iterated.
    """
    job = _job(questionnaire, fmt, filters, language, progress, chunk_rows)
    if fmt == "csv":
        chunks = _csv(job)
    elif fmt == "json":
        chunks = _json(job)
    else:
        write = _writer(fmt)
        chunks = _via_file(lambda path: write(job, path))
    return ExportFile(export_filename(questionnaire, fmt), FORMATS[fmt][0], chunks, job.rows)


def write_responses(
    questionnaire: Questionnaire,
    fmt: str,
    path: Path,
    *,
    filters: MatrixFilter | None = None,
    language: str = "zh",
    progress: Callable[[int], None] | None = None,
    chunk_rows: int = EXPORT_CHUNK,
) -> int:
    """Write the export to ``path`` (straight into it, no second copy); returns its size in bytes.

    OSError from the file system propagates; the caller decides what to tell.
    """
    job = _job(questionnaire, fmt, filters, language, progress, chunk_rows)
    path = Path(path)
    if fmt in ("csv", "json"):
        with open(path, "wb") as out:
            for piece in (_csv(job) if fmt == "csv" else _json(job)):
                out.write(piece)
    else:
        _writer(fmt)(job, path)
    return path.stat().st_size


__all__ = ["EXPORT_CHUNK", "ExportError", "ExportFile", "FORMATS", "export_filename", "export_responses",
           "write_responses"]
