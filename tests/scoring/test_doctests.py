"""Every example in the scoring docstrings runs and prints what it says.

The examples are part of the documentation outside evaluators read first;
this keeps them true as the code moves between modules.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import scoring

MODULES = sorted(info.name for info in pkgutil.walk_packages(scoring.__path__, "scoring."))


def test_every_scoring_module_is_collected():
    assert {"scoring.engine", "scoring.panels.committees", "scoring.raters.flags", "scoring.survey.rankings"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_hold(name, capsys):
    module = importlib.import_module(name)

    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, report=False)

    assert result.failed == 0, capsys.readouterr().out
