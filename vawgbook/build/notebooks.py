"""Executing the template notebooks for a period with papermill, in parallel and atomically.

A period is computed once (``kpi_results.csv`` and friends, shared by every notebook), its
notebooks are executed in a pool of warm kernels (:mod:`.kernels`) into a staging folder beside
the published one, and the staging folder replaces the published period only when every notebook
succeeded. On failure the published period is left as it was and the failed notebooks are kept in
``.failed-PERIOD`` for inspection. ``vawgbook publish`` skips a period whose pages would not
change (:mod:`.incremental`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, wait
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pandas as pd

from .. import words
from ..compute import PeriodResults, compute, findings
from ..compute.quality import report_tables, revisions
from ..config import Registry, force_names, load_registry
from ..errors import BuildError
from ..files import (
    GROUPS_QUARTERLY_FILE,
    MANIFEST_FILE,
    PAGES_FILE,
    QUALITY_FILE,
    QUARTERLY_FILE,
    RESULTS_FILE,
    REVISIONS_FILE,
    read_results,
    recover_folder,
    replace_folder,
    write_csv,
    write_json,
    write_text,
)
from ..ingest import Dataset, load, registry_codes
from ..periods import Quarter
from ..publish.charts import VEGA_LITE_MIMETYPE
from ..publish.report import SAMPLE_RESULTS
from . import incremental
from .kernels import KernelPool, execute_notebook
from .manifest import build_manifest, input_files, write_manifest
from .register import previous_register, write_register

HIDDEN_CELL_TAGS = {"parameters", "injected-parameters"}
FRONT_PAGE = "front_page"  # executed as the period's index page
PERIOD_PAGES = ("what_is_working", "what_changed", "visible_in_the_data", "national_overview",
                "overview", "force_comparison", "data_quality")
TEMPLATES = (FRONT_PAGE, *PERIOD_PAGES, "pillar", "force_profile")


@dataclass(frozen=True)
class Page:
    """One notebook to execute: its template, output name, title and extra parameters."""

    template: str
    name: str
    title: str
    parameters: tuple[tuple[str, str], ...] = ()
    heading: str | None = None  # replaces the template's first heading (pages made per force)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def pages(pillars: tuple[str, ...], with_forces: bool = True) -> list[Page]:
    """Every page of a period: the period pages, one per pillar, one per force."""
    out = [Page(FRONT_PAGE, "index", words.PAGE_TITLES[FRONT_PAGE])]
    out += [Page(name, name, words.PAGE_TITLES[name]) for name in PERIOD_PAGES]
    out += [Page("pillar", f"pillar-{slug(p)}", p[:1].upper() + p[1:], (("pillar", p),),
                 words.PILLAR_PAGE_HEADING.format(pillar=p))
            for p in pillars]
    if with_forces:
        out += [Page("force_profile", f"force-{slug(f)}", f, (("force", f),),
                     words.FORCE_PAGE_HEADING.format(force=f))
                for f in force_names().territorial]
    return out


def periods_dir(root: Path) -> Path:
    return Path(root) / "book" / "periods"


def _without_timing(nb):
    """Drop papermill's timing metadata, so that reruns give the same files."""
    nb.metadata.pop("papermill", None)
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
    return nb


def _tidy_for_book(path: Path, title: str | None = None) -> None:
    """Hide code from readers (parameter cells entirely, other code cells' input only), and drop
    the Vega-Lite output that JupyterLab draws: the book draws the HTML version of each chart."""
    nb = _without_timing(nbformat.read(path, as_version=4))
    first = next((c for c in nb.cells if c.cell_type == "markdown"), None)
    if title is not None and first is not None and first.source.startswith("# "):
        # One template, many pages: each page gets its own first heading (and so its own title).
        first.source = "\n".join([f"# {title}", *first.source.split("\n")[1:]])
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            output.get("data", {}).pop(VEGA_LITE_MIMETYPE, None)
        tags = set(cell.metadata.get("tags", []))
        if "injected-parameters" in tags:
            cell.id = "injected-parameters"  # papermill gives it a random id on every run
        tags.add("remove-cell" if tags & HIDDEN_CELL_TAGS else "remove-input")
        cell.metadata["tags"] = sorted(tags)
    nbformat.write(nb, path)


def _execute(kernel, template: str, output: str, parameters: dict, cwd: str, title: str | None) -> None:
    """Run one notebook in a warm kernel of the pool; raises papermill's error on a failing cell."""
    execute_notebook(kernel, template, output, parameters, cwd)
    _tidy_for_book(Path(output), title)


class _PageFailed(Exception):
    def __init__(self, page: Page, message: str) -> None:
        super().__init__(message)
        self.page = page
        self.message = message


def _failure_message(exc: BaseException) -> str:
    cell = getattr(exc, "cell_index", None)
    where = f"cell {cell}: " if cell is not None else ""
    name = getattr(exc, "ename", type(exc).__name__)
    value = getattr(exc, "evalue", str(exc))
    stopped = getattr(exc, "kernel_stopped", None)  # set by the kernel pool
    return f"{where}{name}: {value}".strip() + (f" (the kernel stopped: {stopped})" if stopped else "")


def _recover(out_dir: Path, period: Quarter) -> None:
    """Tidy up after a run that was killed: put back a published folder caught mid-swap, and
    remove staging folders whose process is gone."""
    import psutil

    recover_folder(out_dir / str(period))
    for folder in out_dir.glob(f".staging-{period}-*"):
        pid = folder.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not psutil.pid_exists(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _progress(total: int, label: str):
    from tqdm import tqdm

    return tqdm(total=total, desc=label, unit="page", leave=False, disable=None)


def write_results(folder: Path, ds: Dataset, registry: Registry, computed: PeriodResults,
                  previous_quarterly: pd.DataFrame | None,
                  previous_findings: pd.DataFrame | None = None) -> None:
    """Write a period's results files into ``folder``: the results and quarterly tables, the
    data-quality record, the findings register (joined with the previous period's) and, given the
    previous period's quarterly table, the revisions."""
    write_csv(computed.results, folder / RESULTS_FILE)
    write_csv(computed.quarterly, folder / QUARTERLY_FILE)
    write_csv(computed.groups_quarterly, folder / GROUPS_QUARTERLY_FILE)
    write_json(folder / QUALITY_FILE, report_tables(ds, registry, computed.period))
    write_register(folder, registry, previous_findings)
    if previous_quarterly is not None:
        write_csv(revisions(previous_quarterly, computed.quarterly), folder / REVISIONS_FILE)


def run_period(data_dir: Path, period: Quarter, root: Path = Path("."),
               registry: Path | None = None, echo: Callable[[str], None] = print,
               workers: int | None = None, with_forces: bool = True,
               pool: KernelPool | None = None, skip_unchanged: bool | None = None) -> Path:
    """Compute the period's results once and execute every page's notebook for it.

    The pages run in ``pool``'s warm kernels; without one, a pool of ``workers`` kernels (default:
    one per core) is started for this period, warming up while the results are computed.
    ``skip_unchanged`` (``vawgbook publish``): True skips a period whose pages would not change
    (see :mod:`.incremental`), False re-runs it anyway (``--force``); either way the line printed
    says which and why. None (``vawgbook run``) always runs.
    """
    if pool is None:
        with KernelPool(workers, echo=echo, lazy=True) as own:
            return run_period(data_dir, period, root, registry, echo, workers, with_forces, own,
                              skip_unchanged)
    started = time.perf_counter()
    root = Path(root).resolve()
    data_dir = Path(data_dir).resolve()
    templates = root / "notebooks"
    missing = [t for t in TEMPLATES if not (templates / f"{t}.ipynb").exists()]
    if missing:
        raise BuildError(templates, f"template notebook(s) missing: {', '.join(missing)}")
    reg = load_registry(registry)
    todo = pages(reg.pillars, with_forces)
    out_dir = periods_dir(root)
    final = out_dir / str(period)
    if out_dir.exists():
        _recover(out_dir, period)
    previous = out_dir / str(period - 1) / QUARTERLY_FILE
    plan = incremental.Plan(final, input_files(data_dir), registry, previous.parent,
                            sorted({templates / f"{p.template}.ipynb" for p in todo}), todo,
                            _parameters(period, registry))
    if skip_unchanged and plan.inputs_unchanged():
        echo(f"{period}: unchanged, skipped")
        return final
    pool.start()  # kernels warm up while the period is computed
    ds = load(data_dir, codes=registry_codes(reg))
    results = compute(ds, reg, period)
    for warning in results.warnings:
        echo(f"warning: {warning}")
    computed = time.perf_counter()

    staging = out_dir / f".staging-{period}-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        write_results(staging, ds, reg, results, read_results(previous) if previous.exists() else None,
                      previous_register(previous.parent, reg))
        plan.read_figures(staging)
        write_manifest(build_manifest(data_dir, ds, str(period), root, registry), staging / MANIFEST_FILE)
        if skip_unchanged and plan.figures_unchanged():
            plan.update_published(staging, (MANIFEST_FILE,))
            echo(f"{period}: figures unchanged, skipped (inputs changed; manifest updated)")
            return final
        why = "" if skip_unchanged is None else f" re-run ({plan.reason() if skip_unchanged else '--force'}):"
        if with_forces:
            write_text(staging / "forces.md", words.FORCES_PAGE)
        _execute_all(todo, templates, staging, period, registry, pool)
        write_text(staging / PAGES_FILE, json.dumps(
            [{"name": p.name, "title": p.title, "template": p.template} for p in todo], indent=1) + "\n")
        plan.record(staging)
        replace_folder(staging, final)
    except _PageFailed as exc:
        failed = out_dir / f".failed-{period}"
        shutil.rmtree(failed, ignore_errors=True)
        os.replace(staging, failed)
        raise BuildError(
            failed / f"{exc.page.name}.ipynb",
            f"notebook {exc.page.template}.ipynb failed in {exc.message}; "
            f"the published {period} pages were left as they were",
        ) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    done = time.perf_counter()
    echo(f"{period}:{why} {len(todo)} pages in {done - started:.0f} s "
         f"(computing {computed - started:.0f} s, notebooks {done - computed:.0f} s)")
    return final


def _parameters(period: Quarter, registry: Path | None) -> dict:
    """What papermill injects into every page of a period (besides the page's own)."""
    return {
        "results_dir": ".",  # each page runs in the period's folder, beside its results
        "registry": str(Path(registry).resolve()) if registry else None,
    }


# Seconds of kernel time a page takes, roughly (benchmarks/run_period.py --profile): the order
# in which pages are handed to the kernels.
_PAGE_COST = {"force_profile": 1.3, "national_overview": 0.8, "force_comparison": 0.8,
              "visible_in_the_data": 0.6, "overview": 0.5, "pillar": 0.4}


def _execute_all(todo: list[Page], templates: Path, staging: Path, period: Quarter,
                 registry: Path | None, pool: KernelPool) -> None:
    """Execute the pages in the pool's kernels; on the first failure stop and report it in one line."""
    common = _parameters(period, registry)
    futures = {
        pool.submit(_execute, str(templates / f"{page.template}.ipynb"),
                    str(staging / f"{page.name}.ipynb"), {**common, **dict(page.parameters)},
                    str(staging), page.heading): page
        # The longest pages first, so that no kernel is left with a long one at the end.
        for page in sorted(todo, key=lambda p: -_PAGE_COST.get(p.template, 0))
    }
    with _progress(len(futures), str(period)) as bar:
        pending = set(futures)
        while pending:
            finished, pending = wait(pending, return_when=FIRST_EXCEPTION)
            bar.update(len(finished))
            failed = [f for f in finished if not f.cancelled() and f.exception() is not None]
            if failed:
                for future in pending:
                    future.cancel()
                wait(pending)  # pages already running finish before the folder is moved
                raise _PageFailed(futures[failed[0]], _failure_message(failed[0].exception()))


def write_sample_results(folder: Path, sample: Path) -> Quarter:
    """The results of the sample data's latest period, as the runner writes a period's (with the
    period before as the previous one), into ``folder``: what the golden notebooks read."""
    reg = load_registry()
    ds = load(sample, codes=registry_codes(reg))
    latest = ds.quarters()[-1]
    before = compute(ds, reg, latest - 1)
    write_results(folder, ds, reg, compute(ds, reg, latest), before.quarterly,
                  findings.register(before.results, before.quarterly, reg))
    return latest


def refresh_golden(root: Path = Path("."), echo: Callable[[str], None] = print) -> None:
    """Write the sample data's results for its latest period into ``notebooks/sample_results``
    and re-execute each template in place on them.

    The stored outputs are what nbval compares against, on the path the book uses (notebooks
    reading written results), so this is how a maintainer accepts a deliberate change in a
    published figure. Timing metadata is dropped to keep diffs small.
    """
    root = Path(root).resolve()
    staging = SAMPLE_RESULTS.with_name(f".staging-{SAMPLE_RESULTS.name}-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        latest = write_sample_results(staging, root / "data" / "sample")
        recover_folder(SAMPLE_RESULTS)
        replace_folder(staging, SAMPLE_RESULTS)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    echo(f"wrote the sample's {latest} results to {SAMPLE_RESULTS}")
    templates = root / "notebooks"
    with KernelPool(echo=echo) as pool:
        paths = [templates / f"{name}.ipynb" for name in TEMPLATES]
        jobs = [pool.submit(execute_notebook, str(path), str(path), {}, str(templates)) for path in paths]
        for path, job in zip(paths, jobs, strict=True):
            echo(f"re-executing {path}")
            job.result()
            nbformat.write(_without_timing(nbformat.read(path, as_version=4)), path)
