"""Golden files: ``tests/golden/<translator>/<case>/{input.json,expected.json}``.

Each pure translator has a runner (e.g. ``tests/unit/test_runtime_spec.py``) that builds
``input.json`` and compares the result with ``expected.json``. To rewrite the expected files
after an intended change, run the runner together with this directory so that the option
below is registered, then review the diff::

    .venv/bin/pytest tests/golden tests/unit/test_runtime_spec.py --update-golden

(``DOCKYARD_UPDATE_GOLDEN=1`` does the same when this conftest is not loaded.)
"""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite tests/golden/**/expected.json from the current output",
    )
