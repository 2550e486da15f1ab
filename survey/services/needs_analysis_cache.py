"""A small in-process cache for the analysis screens: the loaded answers and finished analyses.

Staff open the analysis page, change a filter, come back, download the
figures: the same answers are read and the same analysis computed again and
again. Two caches, per process, keyed by a *stamp* of the questionnaire's
answer rows (how many, the largest response id and version id: one
index-only query), so a new submission is seen at once:

- the unfiltered answer matrix of a questionnaire (only when it is smaller
  than ``ANALYSIS_CACHE_MB`` megabytes, default 64: about 120,000 responses
  of a 64-variable questionnaire);
- finished analyses (immutable frozen dataclasses), keyed by the stamp and
  every argument of ``analyse``.

Entries also expire after ``ANALYSIS_CACHE_SECONDS`` (default 300), which
bounds how long a change the stamp does not see can go unnoticed: answer
rows rewritten by ``kaimen export rebuild-matrix``, units' member counts,
participation targets. ``ANALYSIS_CACHE_SECONDS = 0`` turns caching off.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import func, select

from survey.extensions import db
from survey.models import AnswerRow, Questionnaire

__all__ = ["cached_matrix", "cached_result", "clear", "stamp"]

MATRICES = 4
RESULTS = 32

_lock = threading.Lock()
_matrices: OrderedDict[int, tuple[tuple, float, Any]] = OrderedDict()
_results: OrderedDict[tuple, tuple[float, Any]] = OrderedDict()


def _setting(name: str, default: float) -> float:
    return float(current_app.config.get(name, default)) if has_app_context() else default


def _ttl() -> float:
    return _setting("ANALYSIS_CACHE_SECONDS", 300)


def stamp(questionnaire: Questionnaire) -> tuple:
    """The questionnaire (id, creation time, published versions) and its answer rows (count, largest ids)."""
    count, last, version = db.session.execute(
        select(func.count(), func.max(AnswerRow.response_id), func.max(AnswerRow.version_id))
        .where(AnswerRow.questionnaire_id == questionnaire.id)).one()
    return (questionnaire.id, questionnaire.created_at, int(count or 0), int(last or 0), int(version or 0),
            tuple((v.id, v.published_at) for v in questionnaire.versions if v.frozen))


def cached_matrix(questionnaire: Questionnaire, key: tuple, load: Callable[[], Any]):
    """The questionnaire's unfiltered matrix for stamp ``key``, loaded with ``load`` when not cached."""
    ttl = _ttl()
    now = time.monotonic()
    if ttl > 0:
        with _lock:
            entry = _matrices.get(questionnaire.id)
            if entry is not None and entry[0] == key and now - entry[1] < ttl:
                _matrices.move_to_end(questionnaire.id)
                return entry[2]
    matrix = load()
    limit = _setting("ANALYSIS_CACHE_MB", 64) * 1e6
    if ttl > 0 and matrix.values.nbytes <= limit:
        with _lock:
            _matrices[questionnaire.id] = (key, now, matrix)
            _matrices.move_to_end(questionnaire.id)
            while len(_matrices) > MATRICES:
                _matrices.popitem(last=False)
    return matrix


def cached_result(key: tuple, compute: Callable[[], Any]):
    """The result cached under ``key`` (which must include the stamp), else ``compute()`` and keep it."""
    ttl = _ttl()
    now = time.monotonic()
    if ttl > 0:
        with _lock:
            entry = _results.get(key)
            if entry is not None and now - entry[0] < ttl:
                _results.move_to_end(key)
                return entry[1]
    result = compute()
    if ttl > 0:
        with _lock:
            _results[key] = (now, result)
            _results.move_to_end(key)
            while len(_results) > RESULTS:
                _results.popitem(last=False)
    return result


def clear() -> None:
    with _lock:
        _matrices.clear()
        _results.clear()
