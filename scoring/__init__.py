"""Kaimen's scoring engine: pure numpy/scipy, frozen dataclasses in and out.

Nothing here imports Flask, SQLAlchemy, WTForms, ReportLab or the ``survey``
application, so third-party evaluators can run it on exported data alone
(``python -m scoring``).

Layout (each package re-exports its public names, so import from the
package: ``from scoring.panels import form_committees``):

- :mod:`scoring.types` -- the input types and :class:`~scoring.types.ScoringInputError`;
- :mod:`scoring.engine` -- :func:`~scoring.engine.run_round`, one round end to end;
- :mod:`scoring.aggregate` -- score validation, missing policy, robust cell
  aggregation, subtotals and totals;
- :mod:`scoring.raters` -- the additive rater model and advisory rater flags;
- :mod:`scoring.reliability` -- ICC, Krippendorff's alpha, Kendall's W, Cronbach's alpha;
- :mod:`scoring.uncertainty` -- the rater bootstrap and leave-one-rater-out;
- :mod:`scoring.recusal` -- recusal rules as predicates;
- :mod:`scoring.panels` -- committee and rotating-panel forming (MILP);
- :mod:`scoring.composite` -- open-door total + target indicators + surveys;
- :mod:`scoring.survey` -- questionnaire statistics for the needs analysis;
- :mod:`scoring.io` and ``scoring.__main__`` -- the file formats and the command line;
- ``scoring._validate`` -- array-input checks shared by the statistics modules.
"""
