"""Kaimen's scoring engine: pure numpy/scipy, frozen dataclasses in and out.

Nothing here imports Flask, SQLAlchemy, WTForms, ReportLab or the ``survey``
application, so third-party evaluators can run it on exported data alone
(``python -m scoring``).
"""
