"""The packed row of a response: bytes in, numpy columns out.

A row is a 20-byte header — the response's id (``<i8``), its version's id
(``<i4``), its unit's id (``<i4``, -1 for none) and its day of submission
(``<i4``, days since 1970-01-01) — followed by the response's numeric
variables (see :mod:`forms.questionnaire.codebook`) in slot order, each in
its own little-endian type, packed without padding:

========  =========  ===================================  ==================
storage   bytes      holds                                 missing value
========  =========  ===================================  ==================
``u1``    1          multiple choice 0 / 1                 255
``<u2``   2          single-choice codes, ranks            65535
``<i2``   2          rating and matrix values              -32768
``<i4``   4          dates (days since 1970-01-01),        -2147483648
                     ratings on scales beyond int16
``<f8``   8          numbers                               NaN
========  =========  ===================================  ==================

The header repeats facts the database also keeps in columns (for filtering
in SQL): with them inside the row, a reader fetches one column per response,
which is what makes reading a million rows fast. They never change after
submission.

Slots are only ever appended, so a row written when the codebook had ``w``
slots is the first ``w`` fields of today's layout, and its length in bytes
tells ``w`` (every field takes at least one byte). Decoding pads the missing
tail with ``nan``.

The demo's 25-question needs survey (64 numeric variables) packs into
20 + 105 bytes per response.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence

import numpy as np

#: Value that marks "no answer" in each storage type.
MISSING = {"u1": 255, "<u2": 65535, "<i2": -32768, "<i4": -2147483648}
#: The facts at the start of every row.
HEADER = (("response_id", "<i8"), ("version_id", "<i4"), ("unit_id", "<i4"), ("day", "<i4"))
HEADER_DTYPE = np.dtype(list(HEADER))
HEADER_SIZE = HEADER_DTYPE.itemsize
#: ``struct`` codes of the header and of each storage type (all little-endian, unpadded).
_STRUCT_HEADER = "qiii"
_STRUCT_CODES = {"u1": "B", "<u2": "H", "<i2": "h", "<i4": "i", "<f8": "d"}


def row_dtype(storage: Sequence[str]) -> np.dtype:
    """The packed structured dtype of a row (header, then slots of these types)."""
    return np.dtype({"names": [name for name, _ in HEADER] + [f"s{i}" for i in range(len(storage))],
                     "formats": [code for _, code in HEADER] + list(storage)})


class RowFormat:
    """Packs and unpacks rows for one codebook's slot types (``Codebook.storage()``)."""

    def __init__(self, storage: Sequence[str]):
        self.storage = tuple(storage)
        self.width = len(self.storage)
        self.dtype = row_dtype(self.storage)
        self.itemsize = self.dtype.itemsize
        ends = np.cumsum([0] + [np.dtype(c).itemsize for c in self.storage]) + HEADER_SIZE
        #: Row length in bytes -> number of slots it holds.
        self._widths = {int(end): i for i, end in enumerate(ends)}
        self._dtypes: dict[int, np.dtype] = {}
        self._struct = struct.Struct("<" + _STRUCT_HEADER + "".join(_STRUCT_CODES[c] for c in self.storage))
        self._missing = tuple(MISSING.get(c) for c in self.storage)

    def width_of(self, nbytes: int) -> int:
        """How many slots a row of ``nbytes`` holds; ValueError for a length no prefix has."""
        try:
            return self._widths[nbytes]
        except KeyError:
            raise ValueError(f"a packed row of {nbytes} bytes does not fit this codebook") from None

    def pack(self, values: np.ndarray | Sequence[Sequence[float]], header: Sequence[Sequence[int]]) -> list[bytes]:
        """Rows as packed bytes, one per row.

        ``values``: n x width floats, ``nan`` = missing; they must fit their
        storage (whole numbers for every type but ``<f8``: the codebook's
        encoder guarantees it). ``header``: n (response id, version id, unit
        id or -1, day number) tuples.
        """
        matrix = np.asarray(values, dtype=np.float64)
        if matrix.ndim != 2 or matrix.shape[1] != self.width:
            raise ValueError(f"expected rows of {self.width} values, got shape {matrix.shape}")
        n = matrix.shape[0]
        facts = np.asarray(header, dtype=np.int64).reshape(n, len(HEADER))
        out = np.empty(n, dtype=self.dtype)
        for i, (name, _code) in enumerate(HEADER):
            out[name] = facts[:, i]
        for i, code in enumerate(self.storage):
            column = matrix[:, i]
            if code == "<f8":
                out[f"s{i}"] = column
            else:
                missing = np.isnan(column)
                out[f"s{i}"] = np.where(missing, MISSING[code], column).astype(code)
        buffer = out.tobytes()
        size = self.itemsize
        return [buffer[i * size:(i + 1) * size] for i in range(n)]

    def pack_one(self, values: Sequence[float], header: Sequence[int]) -> bytes:
        """One row, as :meth:`pack` would give it, without numpy's per-column overhead (a submission)."""
        if len(values) != self.width:
            raise ValueError(f"expected rows of {self.width} values, got {len(values)}")
        fields = [m if (m is not None and math.isnan(v)) else (v if m is None else int(v))
                  for v, m in zip(values, self._missing)]
        return self._struct.pack(*(int(h) for h in header), *fields)

    def unpack(self, blobs: Sequence[bytes], out: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Rows as an (n x width) float64 matrix (``nan`` = missing) and their headers.

        The matrix is column-major (Fortran order), so each variable's column
        is contiguous, as analysis reads it. The headers come as a structured
        array with the fields of :data:`HEADER`. Rows may have different
        lengths (written under older, narrower codebooks); their missing tail
        is ``nan``. ``out`` may be given (any (n x width) float64 array or
        view, e.g. a slice of a bigger matrix) to decode in place.
        """
        n = len(blobs)
        if out is None:
            out = np.empty((n, self.width), dtype=np.float64, order="F")
        elif out.shape != (n, self.width):
            raise ValueError(f"out has shape {out.shape}, expected {(n, self.width)}")
        header = np.empty(n, dtype=HEADER_DTYPE)
        if n == 0:
            return out, header
        lengths = np.fromiter(map(len, blobs), dtype=np.int64, count=n)
        first = int(lengths[0])
        if (lengths == first).all():
            self._fill(out, header, None, b"".join(blobs), self.width_of(first))
            return out, header
        for length in np.unique(lengths).tolist():
            rows = np.flatnonzero(lengths == length)
            self._fill(out, header, rows, b"".join([blobs[i] for i in rows.tolist()]), self.width_of(length))
        return out, header

    def _prefix(self, width: int) -> np.dtype:
        dtype = self._dtypes.get(width)
        if dtype is None:
            dtype = self._dtypes[width] = row_dtype(self.storage[:width])
        return dtype

    def _fill(self, out: np.ndarray, header: np.ndarray, rows: np.ndarray | None, buffer: bytes, width: int) -> None:
        records = np.frombuffer(buffer, dtype=self._prefix(width))
        if rows is None:  # every row: write straight into the output's columns
            for name, _code in HEADER:
                header[name] = records[name]
            out[:, width:] = np.nan
            for i, code in enumerate(self.storage[:width]):
                raw = records[f"s{i}"]
                column = out[:, i]
                column[...] = raw
                if code != "<f8":
                    column[raw == MISSING[code]] = np.nan
            return
        for name, _code in HEADER:
            header[name][rows] = records[name]
        out[np.ix_(rows, np.arange(width, self.width))] = np.nan
        for i, code in enumerate(self.storage[:width]):
            raw = records[f"s{i}"]
            column = raw.astype(np.float64)
            if code != "<f8":
                column[raw == MISSING[code]] = np.nan
            out[rows, i] = column


__all__ = ["HEADER", "HEADER_DTYPE", "HEADER_SIZE", "MISSING", "RowFormat", "row_dtype"]
