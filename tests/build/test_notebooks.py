"""The period runner: atomic swap, failure path, manifest, determinism (with tiny templates)."""

import json
import shutil
from pathlib import Path

import nbformat
import pytest
from tiny_project import PERIOD, make_project, snapshot, template

from vawgbook.build.notebooks import run_period
from vawgbook.errors import BuildError, InputError

SAMPLE = Path(__file__).parents[2] / "data" / "sample"


@pytest.fixture
def project(tmp_path):
    return make_project(tmp_path)


@pytest.fixture(scope="module")
def published(tmp_path_factory, kernel_pool):
    """One project with the sample's latest period run once, shared by the read-only tests."""
    root = make_project(tmp_path_factory.mktemp("published"))
    return root, run(root, kernel_pool)


def run(project, pool, **kwargs):
    """The period's pages in the session's warm kernels (the runner's own pool is tested by
    the command-line run below and in test_kernels.py)."""
    return run_period(
        SAMPLE, PERIOD, root=project, echo=lambda _: None, with_forces=False, pool=pool, **kwargs
    )


def test_a_period_folder_holds_results_pages_and_manifest(published):
    project, folder = published
    assert folder == project / "book" / "periods" / "2024-25-Q2"
    names = {p.name for p in folder.iterdir()}
    assert {
        "kpi_results.csv",
        "kpi_quarterly.csv",
        "manifest.json",
        "data_quality.json",
        "pages.json",
        "index.ipynb",
        "national_overview.ipynb",
        "what_is_working.ipynb",
        "force_comparison.ipynb",
        "data_quality.ipynb",
    } <= names
    assert "pillar-build-trust-and-confidence.ipynb" in names
    nb = nbformat.read(folder / "national_overview.ipynb", as_version=4)
    printed = nb.cells[-1].outputs[0]["text"]
    assert printed.startswith(". None None 4128")  # shared results beside the page, not recomputed
    tags = [set(c.metadata.get("tags", [])) for c in nb.cells if c.cell_type == "code"]
    assert "remove-cell" in tags[0] and "remove-input" in tags[-1]  # code hidden from readers
    assert not list((project / "book" / "periods").glob(".staging*"))


def test_manifest_names_inputs_with_checksums_versions_and_parameters(published):
    project, folder = published
    manifest = json.loads((folder / "manifest.json").read_text())
    files = {i["file"]: i for i in manifest["inputs"]}
    assert set(files) == {p.name for p in SAMPLE.iterdir() if p.name.endswith((".csv", ".csv.gz"))}
    import hashlib

    crime = SAMPLE / "recorded_crime.csv.gz"
    assert files["recorded_crime.csv.gz"]["sha256"] == hashlib.sha256(crime.read_bytes()).hexdigest()
    assert files["recorded_crime.csv.gz"]["rows"] > 10_000
    assert manifest["period"] == manifest["parameters"]["period"] == "2024-25-Q2"
    assert manifest["versions"]["pandas"] and manifest["versions"]["statsmodels"]
    assert str(project) not in json.dumps(manifest) and str(SAMPLE) not in json.dumps(manifest)


def test_rerunning_a_period_gives_the_same_bytes(published, kernel_pool):
    project, folder = published
    first = snapshot(folder)
    second = snapshot(run(project, kernel_pool))
    assert first.keys() == second.keys()
    assert [k for k in first if first[k] != second[k]] == []


def test_a_failing_notebook_leaves_the_published_period_intact(published, kernel_pool):
    project, folder = published
    before = snapshot(folder)
    good = (project / "notebooks" / "data_quality.ipynb").read_bytes()
    nbformat.write(
        template("raise ValueError('deliberate failure for the test')"),
        project / "notebooks" / "data_quality.ipynb",
    )
    try:
        with pytest.raises(BuildError) as err:
            run(project, kernel_pool)
    finally:
        (project / "notebooks" / "data_quality.ipynb").write_bytes(good)
    message = str(err.value)
    assert "data_quality.ipynb" in message and "cell 2" in message
    assert "ValueError" in message and "deliberate failure" in message
    assert snapshot(folder) == before  # the last good pages stay
    failed = project / "book" / "periods" / ".failed-2024-25-Q2"
    assert (failed / "data_quality.ipynb").exists()  # kept for inspection
    assert not list((project / "book" / "periods").glob(".staging*"))
    # The failed page's kernel was replaced: the same pool runs the period again, same bytes.
    assert snapshot(run(project, kernel_pool)) == before


def test_a_missing_template_is_named(project, kernel_pool):
    (project / "notebooks" / "pillar.ipynb").unlink()
    with pytest.raises(BuildError, match="pillar"):
        run(project, kernel_pool)
    assert not (project / "book" / "periods" / "2024-25-Q2").exists()


def test_bad_data_changes_nothing(published, tmp_path, kernel_pool):
    project, folder = published
    before = snapshot(folder)
    bad = tmp_path / "bad"
    shutil.copytree(SAMPLE, bad)
    (bad / "population.csv").write_text("Force Name,Year\nKent,2020\n")
    with pytest.raises(InputError, match="population.csv"):
        run_period(bad, PERIOD, root=project, echo=lambda _: None, with_forces=False, pool=kernel_pool)
    assert snapshot(folder) == before


def test_killing_a_run_leaves_the_last_good_period_and_a_rerun_completes(published, kernel_pool):
    import os
    import signal
    import subprocess
    import sys
    import time

    import psutil

    project, folder = published
    before = snapshot(folder)
    slow = template("open('slow-page-started', 'w').close()\nimport time\ntime.sleep(30)")
    good = (project / "notebooks" / "force_comparison.ipynb").read_bytes()
    nbformat.write(slow, project / "notebooks" / "force_comparison.ipynb")
    command = [
        sys.executable,
        "-m",
        "vawgbook",
        "run",
        "--data",
        str(SAMPLE),
        "--period",
        "2024-25-Q2",
        "--root",
        str(project),
        "--workers",
        "2",
    ]
    try:
        process = subprocess.Popen(
            command, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.time() + 120
        periods = project / "book" / "periods"
        while time.time() < deadline and not list(periods.glob(".staging-*/slow-page-started")):
            time.sleep(0.5)  # wait until notebooks are being executed
        assert list(periods.glob(".staging-*")), "the run never reached its notebooks"
        kernels = psutil.Process(process.pid).children(recursive=True)
        assert kernels, "no kernel was running"
        os.killpg(process.pid, signal.SIGKILL)  # the run (its kernels are in sessions of their own)
        process.wait(timeout=30)
        # A kernel watches its parent and exits when it is gone: none outlives the run.
        _, alive = psutil.wait_procs(kernels, timeout=15)
        assert alive == []
    finally:
        (project / "notebooks" / "force_comparison.ipynb").write_bytes(good)
    assert snapshot(folder) == before
    rerun = run(project, kernel_pool)
    assert rerun == folder and (folder / "index.ipynb").exists()
    assert not list((project / "book" / "periods").glob(".staging-*"))  # the killed run's leftovers


def test_pages_made_per_force_or_pillar_get_their_own_first_heading(tmp_path):
    from vawgbook.build.notebooks import _tidy_for_book

    nb = template("print(1)")
    nb.cells.insert(0, nbformat.v4.new_markdown_cell("# Force profile\n\nOne force's indicators."))
    path = tmp_path / "page.ipynb"
    nbformat.write(nb, path)
    _tidy_for_book(path, "Kent: force profile")
    assert (
        nbformat.read(path, as_version=4).cells[0].source
        == "# Kent: force profile\n\nOne force's indicators."
    )
    bare = tmp_path / "bare.ipynb"
    nbformat.write(template("print(1)"), bare)  # no heading to replace: left as it is
    _tidy_for_book(bare, "Kent: force profile")
