"""Questionnaires without the database: spec, conditions, checks, versions,
answer validation, form building and XLSForm exchange.

Import from the submodules; this package keeps no state.
"""
