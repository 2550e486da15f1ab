"""Rater effects on the incomplete rater x unit design: severities, fair scores
and advisory flags.

In open-door scoring no rater sees every union: 27 representatives in four
groups, or a rotating nine-person committee with recusal, leave holes in the
units x raters matrix. A unit that happened to draw a lenient group looks
better than it is. :func:`additive_effects` separates the two by fitting

    score[u, r] = mu + unit_u + rater_r + error

on the cells that were scored, and reports each rater's severity with its
standard error beside each unit's severity-adjusted "fair score".
:func:`rater_flags` turns the fit into advisory flags (lenient, severe,
erratic, out of line with the panel). Neither function changes a score: what
the published result uses is decided elsewhere, openly.

Orientation: ``x`` is units x raters (rows = units, columns = raters), ``nan``
where a rater did not score a unit. Typically each cell is a rater's total for
a unit. Pass ``unit_ids`` / ``rater_ids`` to :func:`additive_effects` and
every message, note and flag explanation names units and raters by id;
without them, by 0-based index.

Import from here; the modules are

- :mod:`~scoring.raters.effects` -- :class:`AdditiveEffects`, :func:`additive_effects`;
- :mod:`~scoring.raters.flags` -- :class:`RaterFlag`, :func:`rater_flags`, :data:`FLAG_KINDS`;
- ``_fit`` (least squares per connected component) and ``_inputs`` (input
  checks, and naming units and raters in texts), private.
"""

from scoring.raters.effects import AdditiveEffects, additive_effects
from scoring.raters.flags import FLAG_KINDS, RaterFlag, rater_flags

__all__ = [
    "AdditiveEffects",
    "RaterFlag",
    "additive_effects",
    "rater_flags",
    "FLAG_KINDS",
]
