"""SPSS ``.sav`` export with pyreadstat, written in chunks so memory stays bounded.

pyreadstat (with pandas) writes a whole data frame in one call, so a
million-response export as one frame would need gigabytes. Instead each
chunk of responses is written to its own temporary ``.sav`` with the very
same dictionary, and their data records are concatenated behind the first
file's header: an uncompressed ``.sav`` is a 176-byte header, the dictionary
(variables, labels, value labels, ending with record type 999), then one
fixed-size record per case. The case count, in the header (offset 80) and
again in the dictionary's 64-bit record (type 7, subtype 16), is patched at
the end.

For the dictionaries to be identical, every chunk must give each string
variable the same width: a first pass over the stored texts finds each text
variable's longest value (in UTF-8 bytes), and each chunk's frame starts
with a dummy case holding strings of exactly that width; that case's record
is dropped. A dictionary that still differs stops the export with an error
rather than writing a corrupt file.

Labels follow SPSS's limits: variable labels up to 255 bytes, value labels up
to 120 bytes, the file label up to 64 bytes (cut at a character boundary).
"""

from __future__ import annotations

import struct
import tempfile
from datetime import date
from pathlib import Path

import numpy as np

from forms.questionnaire.codebook import VariableKind
from survey.exports.table import chunk_cells
from survey.services.answer_columns import AnswerMatrix, RowMeta, iter_texts

_HEADER = 176
_CASES_AT = 80
_END_OF_DICTIONARY = struct.pack("<ii", 999, 0)
#: Record 7, subtype 16: the case count again, as a 64-bit number (two 8-byte items: 1, cases).
_CASES64_RECORD = struct.pack("<iiiiq", 7, 16, 8, 2, 1)


def _cases64_position(dictionary: bytes) -> int | None:
    """Where the 64-bit case count sits in a dictionary (the last such record, just before 999)."""
    at = dictionary.rfind(_CASES64_RECORD)
    return None if at < 0 else at + len(_CASES64_RECORD)
_MEASURE = {
    VariableKind.CODE: "nominal", VariableKind.SELECTED: "nominal", VariableKind.RANK: "ordinal",
    VariableKind.SCALE: "ordinal", VariableKind.NUMBER: "scale", VariableKind.DATE: "scale",
    VariableKind.TEXT: "nominal", VariableKind.OTHER_TEXT: "nominal",
}


def _cut(text: str, limit: int) -> str:
    """At most ``limit`` UTF-8 bytes, cut between characters."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[:limit].decode("utf-8", errors="ignore")


def _text_widths(job) -> dict[str, int]:
    """Longest value in bytes of each text column (at least 1)."""
    widths = {c.name: 1 for c in job.columns if c.cell == "text"}
    names = {c.variable.name: c.name for c in job.columns if c.cell == "text" and c.variable is not None}
    for texts in iter_texts(job.questionnaire, job.filters):
        for name, value in texts.items():
            column = names.get(name)
            if column is not None:
                widths[column] = max(widths[column], len(value.encode("utf-8")))
    for column in job.columns:
        if column.cell == "text" and column.variable is None:
            codes = job.units.code.values() if column.fact == "unit_code" else job.units.sub_district.values()
            widths[column.name] = max([1] + [len(c.encode("utf-8")) for c in codes if c])
    return widths


def _metadata(job) -> dict:
    labels, value_labels, measure, formats = {}, {}, {}, {}
    for column in job.columns:
        v = column.variable
        labels[column.name] = _cut(column.label.get(job.locale), 255)
        if v is not None and v.value_labels:
            value_labels[column.name] = {float(code): _cut(label.get(job.locale), 120) for code, label in v.value_labels}
        measure[column.name] = _MEASURE[v.kind] if v is not None else ("nominal" if column.cell == "text" else "scale")
        if column.cell == "int":
            formats[column.name] = "F16.0" if v is not None and v.kind is VariableKind.NUMBER else "F10.0"
        elif column.cell == "float":
            formats[column.name] = "F16.4"
    title = job.questionnaire.title or ""
    return {"file_label": _cut(title, 64), "column_labels": labels, "variable_value_labels": value_labels,
            "variable_measure": measure, "variable_format": formats}


def _frame(job, chunk, widths: dict[str, int]):
    """A pandas frame of the chunk behind one dummy case that fixes the string widths.

    Numeric columns come straight from the answer matrix (float64, ``nan`` =
    system-missing); dates and texts go through the shared cell builder.
    """
    import pandas as pd

    others = [c for c in job.columns if c.cell not in ("int", "float")]
    cells = dict(zip((c.name for c in others), chunk_cells(chunk, others, job.units, dates_as_text=False),
                     strict=True))
    data = {}
    for column in job.columns:
        if column.cell in ("int", "float"):
            if column.variable is not None:
                values = chunk.values[:, column.variable.slot]
            else:
                values = chunk.rows.response_id if column.fact == "response_id" else chunk.rows.version
            data[column.name] = np.concatenate([[np.nan], values.astype(np.float64)])
        elif column.cell == "date":
            data[column.name] = pd.Series([date(1970, 1, 1), *cells[column.name]], dtype=object)
        else:
            data[column.name] = pd.Series(["x" * widths[column.name], *cells[column.name]], dtype=object)
    return pd.DataFrame(data)


def _empty_chunk(job) -> AnswerMatrix:
    rows = RowMeta(np.empty(0, np.int64), np.empty(0, np.int32), np.empty(0, np.int64),
                   np.empty(0, "datetime64[D]"), [])
    return AnswerMatrix(job.codebook, np.empty((0, job.codebook.width)), rows)


def write_sav(job, path: Path) -> None:
    import pyreadstat

    widths = _text_widths(job)
    meta = _metadata(job)
    total = 0
    dictionary: bytes | None = None
    cases64: int | None = None
    with tempfile.TemporaryDirectory(prefix="kaimen-sav-") as folder, open(path, "wb") as out:
        part = Path(folder) / "part.sav"

        def write_part(chunk, n: int) -> None:
            nonlocal dictionary, cases64
            pyreadstat.write_sav(_frame(job, chunk, widths), part, **meta)
            content = part.read_bytes()
            case = struct.unpack_from("<i", content, 68)[0] * 8
            start = len(content) - case * (n + 1)
            if start <= _HEADER or content[start - 8:start] != _END_OF_DICTIONARY:
                raise RuntimeError("pyreadstat wrote a .sav whose layout this export does not know")
            body = bytearray(content[_HEADER:start])
            if dictionary is None:
                cases64 = _cases64_position(body)
            if cases64 is not None:
                body[cases64:cases64 + 8] = bytes(8)  # the chunk's own case count, patched at the end
            if dictionary is None:
                dictionary = bytes(body)
                out.write(content[:start])
            elif body != dictionary:
                raise RuntimeError("the SPSS dictionary changed between chunks; the export was stopped")
            out.write(memoryview(content)[start + case:])

        for chunk in job.chunks():
            n = len(chunk.rows)
            if n:
                write_part(chunk, n)
                total += n
        if dictionary is None:  # no responses: the dictionary alone
            write_part(_empty_chunk(job), 0)
        out.seek(_CASES_AT)
        out.write(struct.pack("<i", total))
        if cases64 is not None:
            out.seek(_HEADER + cases64)
            out.write(struct.pack("<q", total))
