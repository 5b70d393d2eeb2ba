"""The period runner: atomic swap, failure path, manifest, determinism (with tiny templates)."""

import json
import shutil
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from vawgbook.build.notebooks import TEMPLATES, run_period
from vawgbook.errors import BuildError, InputError
from vawgbook.periods import Quarter

SAMPLE = Path(__file__).parents[2] / "data" / "sample"
PERIOD = Quarter(2024, 2)


def template(body: str) -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    params = new_code_cell(
        "results_dir = None\nregistry = None\npillar = None\nforce = None"
    )
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, new_code_cell(body)]
    return nb


def make_project(root: Path) -> Path:
    """A project folder whose templates only print their parameters (fast to execute)."""
    (root / "notebooks").mkdir(parents=True)
    for name in TEMPLATES:
        nbformat.write(
            template(
                "import pandas as pd\n"
                "print(results_dir, pillar, force, len(pd.read_csv(f'{results_dir}/kpi_results.csv')))"
            ),
            root / "notebooks" / f"{name}.ipynb",
        )
    return root


@pytest.fixture
def project(tmp_path):
    return make_project(tmp_path)


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """One project with the sample's latest period run once, shared by the read-only tests."""
    root = make_project(tmp_path_factory.mktemp("published"))
    return root, run(root)


def run(project, **kwargs):
    return run_period(
        SAMPLE, PERIOD, root=project, echo=lambda _: None, workers=2, with_forces=False, **kwargs
    )


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


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


def test_rerunning_a_period_gives_the_same_bytes(published):
    project, folder = published
    first = snapshot(folder)
    second = snapshot(run(project))
    assert first.keys() == second.keys()
    assert [k for k in first if first[k] != second[k]] == []


def test_a_failing_notebook_leaves_the_published_period_intact(published):
    project, folder = published
    before = snapshot(folder)
    good = (project / "notebooks" / "data_quality.ipynb").read_bytes()
    nbformat.write(
        template("raise ValueError('deliberate failure for the test')"),
        project / "notebooks" / "data_quality.ipynb",
    )
    try:
        with pytest.raises(BuildError) as err:
            run(project)
    finally:
        (project / "notebooks" / "data_quality.ipynb").write_bytes(good)
    message = str(err.value)
    assert "data_quality.ipynb" in message and "cell" in message
    assert "ValueError" in message and "deliberate failure" in message
    assert snapshot(folder) == before  # the last good pages stay
    failed = project / "book" / "periods" / ".failed-2024-25-Q2"
    assert (failed / "data_quality.ipynb").exists()  # kept for inspection
    assert not list((project / "book" / "periods").glob(".staging*"))


def test_a_missing_template_is_named(project):
    (project / "notebooks" / "pillar.ipynb").unlink()
    with pytest.raises(BuildError, match="pillar"):
        run(project)
    assert not (project / "book" / "periods" / "2024-25-Q2").exists()


def test_bad_data_changes_nothing(published, tmp_path):
    project, folder = published
    before = snapshot(folder)
    bad = tmp_path / "bad"
    shutil.copytree(SAMPLE, bad)
    (bad / "population.csv").write_text("Force Name,Year\nKent,2020\n")
    with pytest.raises(InputError, match="population.csv"):
        run_period(bad, PERIOD, root=project, echo=lambda _: None, with_forces=False)
    assert snapshot(folder) == before


def test_killing_a_run_leaves_the_last_good_period_and_a_rerun_completes(published):
    import os
    import signal
    import subprocess
    import sys
    import time

    project, folder = published
    before = snapshot(folder)
    slow = template("import time\ntime.sleep(30)")
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
        while time.time() < deadline and not list(periods.glob(".staging-*/force_comparison.ipynb")):
            time.sleep(0.5)  # wait until notebooks are being executed
        assert list(periods.glob(".staging-*")), "the run never reached its notebooks"
        os.killpg(process.pid, signal.SIGKILL)  # the run, its workers and their kernels
        process.wait(timeout=30)
    finally:
        (project / "notebooks" / "force_comparison.ipynb").write_bytes(good)
    assert snapshot(folder) == before
    rerun = run(project)
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


@pytest.mark.parametrize(("failure", "retried"), [
    ("Kernel died before replying to kernel_info", True),
    ("Kernel didn't respond in 600 seconds", True),
    ("something else went wrong", False),
])
def test_a_kernel_that_fails_to_start_is_started_again(tmp_path, monkeypatch, failure, retried):
    import papermill

    from vawgbook.build import notebooks

    source = tmp_path / "page.ipynb"
    nbformat.write(template("1 + 1"), source)
    calls = []

    def execute(template_path, output, **kwargs):
        calls.append(kwargs["start_timeout"])
        if len(calls) == 1:
            raise RuntimeError(failure)
        shutil.copy(template_path, output)

    monkeypatch.setattr(papermill, "execute_notebook", execute)
    output = tmp_path / "out.ipynb"
    if retried:
        notebooks._execute(str(source), str(output), {}, str(tmp_path), None)
        assert len(calls) == 2 and output.exists()
    else:
        with pytest.raises(RuntimeError, match=failure):
            notebooks._execute(str(source), str(output), {}, str(tmp_path), None)
        assert len(calls) == 1
