"""The golden notebooks' inputs: the sample's written results beside the templates.

nbval re-executes each template on ``notebooks/sample_results`` (the path the book uses: pages
read written results). This backtest checks those files are exactly what the code computes
from ``data/sample`` now, so a change in a published figure fails here with the file named,
and in nbval with the page that shows it. ``make golden`` accepts a deliberate change.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from vawgbook.build.notebooks import write_sample_results
from vawgbook.files import FINDINGS_FILE, QUALITY_FILE, QUARTERLY_FILE, RESULTS_FILE, REVISIONS_FILE
from vawgbook.publish.report import SAMPLE_RESULTS

SAMPLE = Path(__file__).parents[2] / "data" / "sample"


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sample-results")
    write_sample_results(folder, SAMPLE)
    return folder


def test_every_results_file_is_stored(written):
    made = sorted(p.name for p in written.iterdir())
    assert {RESULTS_FILE, QUARTERLY_FILE, QUALITY_FILE, REVISIONS_FILE, FINDINGS_FILE} <= set(made)
    assert made == sorted(p.name for p in SAMPLE_RESULTS.iterdir()), "run `make golden`"


@pytest.mark.parametrize("name", sorted(p.name for p in SAMPLE_RESULTS.iterdir()))
def test_the_sample_results_are_what_the_code_computes(written, name):
    stored, now = SAMPLE_RESULTS / name, written / name
    assert now.exists(), f"{name} is no longer written: run `make golden`"
    assert stored.read_bytes() == now.read_bytes(), (
        f"{name} computed from data/sample differs from {stored}: a published figure moved; "
        "if that is meant, run `make golden` and commit the diff")
