"""Executing the template notebooks for a period with papermill, in parallel and atomically.

A period is computed once (``kpi_results.csv`` and friends, shared by every notebook), its
notebooks are executed into a staging folder beside the published one, and the staging folder
replaces the published period only when every notebook succeeded. On failure the published
period is left as it was and the failed notebooks are kept in ``.failed-PERIOD`` for inspection.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .charts import VEGA_LITE_MIMETYPE
from .errors import InputError
from .forces import force_names
from .manifest import build_manifest, write_manifest
from .periods import Quarter
from .quality import report_tables, revisions
from .registry import load_registry
from .report import QUALITY_FILE, QUARTERLY_FILE, RESULTS_FILE, REVISIONS_FILE
from .results import compute
from .sources import load, registry_codes
from .tables import read_results, write_csv

KERNEL = "python3"
HIDDEN_CELL_TAGS = {"parameters", "injected-parameters"}
FRONT_PAGE = "front_page"  # executed as the period's index page
PERIOD_PAGES = ("what_is_working", "visible_in_the_data", "national_overview", "force_comparison",
                "data_quality")
TEMPLATES = (FRONT_PAGE, *PERIOD_PAGES, "pillar", "force_profile")
MANIFEST_FILE = "manifest.json"
# A kernel on a busy machine (a laptop scanning, other jobs on a shared server) can take well over
# papermill's default of 60 s to start; failing the whole period for that helps no one.
KERNEL_START_SECONDS = 600
KERNEL_START_TRIES = 3
KERNEL_START_FAILURES = ("Kernel died before replying to kernel_info", "Kernel didn't respond")


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


PAGE_TITLES = {"what_is_working": "What is and isn't working",
               "visible_in_the_data": "Visible in the data", "national_overview": "National overview",
               "force_comparison": "Forces compared", "data_quality": "Data quality"}


def pages(pillars: tuple[str, ...], with_forces: bool = True) -> list[Page]:
    """Every page of a period: the period pages, one per pillar, one per force."""
    out = [Page(FRONT_PAGE, "index", "Summary")]
    out += [Page(name, name, PAGE_TITLES[name]) for name in PERIOD_PAGES]
    out += [Page("pillar", f"pillar-{slug(p)}", p[:1].upper() + p[1:], (("pillar", p),),
                 f"Pillar: {p}")
            for p in pillars]
    if with_forces:
        out += [Page("force_profile", f"force-{slug(f)}", f, (("force", f),), f"{f}: force profile")
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


def _quiet_worker(log: str) -> None:
    """Send this worker's stderr (and its kernels' start-up chatter) to a log file."""
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 2)


def _execute(template: str, output: str, parameters: dict, cwd: str, title: str | None) -> None:
    """Run one notebook (in a worker process); raises papermill's error on a failing cell."""
    import papermill

    for attempt in range(KERNEL_START_TRIES):
        try:
            papermill.execute_notebook(template, output, parameters=parameters, cwd=cwd,
                                       kernel_name=KERNEL, progress_bar=False, log_output=False,
                                       start_timeout=KERNEL_START_SECONDS)
            break
        except RuntimeError as exc:
            # A kernel that dies or hangs before its first reply never ran a cell: start another
            # (kernels started side by side can race for the same TCP port).
            if not str(exc).startswith(KERNEL_START_FAILURES) or attempt == KERNEL_START_TRIES - 1:
                raise
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
    return f"{where}{name}: {value}".strip()


def _recover(out_dir: Path, period: Quarter) -> None:
    """Tidy up after a run that was killed: put back a published folder caught mid-swap, and
    remove staging folders whose process is gone."""
    import psutil

    final = out_dir / str(period)
    for folder in sorted(out_dir.glob(f".old-{period}-*")):
        if not final.exists():
            os.replace(folder, final)
        else:
            shutil.rmtree(folder, ignore_errors=True)
    for folder in out_dir.glob(f".staging-{period}-*"):
        pid = folder.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not psutil.pid_exists(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _swap(staging: Path, final: Path) -> None:
    """Put ``staging`` in place of ``final``; the old folder is removed only afterwards."""
    old = final.with_name(f".old-{final.name}-{os.getpid()}")
    if final.exists():
        os.replace(final, old)
    os.replace(staging, final)
    shutil.rmtree(old, ignore_errors=True)


def _progress(total: int, label: str):
    from tqdm import tqdm

    return tqdm(total=total, desc=label, unit="page", leave=False, disable=None)


def run_period(data_dir: Path, period: Quarter, root: Path = Path("."),
               registry: Path | None = None, echo: Callable[[str], None] = print,
               workers: int | None = None, with_forces: bool = True) -> Path:
    """Compute the period's results once and execute every page's notebook for it."""
    started = time.perf_counter()
    root = Path(root).resolve()
    data_dir = Path(data_dir).resolve()
    templates = root / "notebooks"
    missing = [t for t in TEMPLATES if not (templates / f"{t}.ipynb").exists()]
    if missing:
        raise InputError(templates, f"template notebook(s) missing: {', '.join(missing)}")
    reg = load_registry(registry)
    ds = load(data_dir, codes=registry_codes(reg))
    results = compute(ds, reg, period)
    for warning in results.warnings:
        echo(f"warning: {warning}")
    computed = time.perf_counter()

    out_dir = periods_dir(root)
    final = out_dir / str(period)
    staging = out_dir / f".staging-{period}-{os.getpid()}"
    if out_dir.exists():
        _recover(out_dir, period)
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        write_csv(results.results, staging / RESULTS_FILE)
        write_csv(results.quarterly, staging / QUARTERLY_FILE)
        (staging / QUALITY_FILE).write_text(
            json.dumps(report_tables(ds, reg, period), indent=1, sort_keys=True, default=str) + "\n",
            encoding="utf-8")
        previous = out_dir / str(period - 1) / QUARTERLY_FILE
        if previous.exists():
            write_csv(revisions(read_results(previous), results.quarterly), staging / REVISIONS_FILE)
        write_manifest(build_manifest(data_dir, ds, str(period), root, registry), staging / MANIFEST_FILE)
        todo = pages(reg.pillars, with_forces)
        if with_forces:
            (staging / "forces.md").write_text(
                "# Forces\n\nOne page for each of the 43 territorial police forces of England and "
                "Wales.\n\n```{tableofcontents}\n```\n", encoding="utf-8")
        _execute_all(todo, templates, staging, data_dir, period, registry, workers, echo)
        (staging / "pages.json").write_text(json.dumps(
            [{"name": p.name, "title": p.title, "template": p.template} for p in todo], indent=1) + "\n",
            encoding="utf-8")
        _swap(staging, final)
    except _PageFailed as exc:
        failed = out_dir / f".failed-{period}"
        shutil.rmtree(failed, ignore_errors=True)
        os.replace(staging, failed)
        raise InputError(
            failed / f"{exc.page.name}.ipynb",
            f"notebook {exc.page.template}.ipynb failed in {exc.message}; "
            f"the published {period} pages were left as they were",
        ) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    done = time.perf_counter()
    echo(f"{period}: {len(todo)} pages in {done - started:.0f} s "
         f"(computing {computed - started:.0f} s, notebooks {done - computed:.0f} s)")
    return final


def _execute_all(todo: list[Page], templates: Path, staging: Path, data_dir: Path, period: Quarter,
                 registry: Path | None, workers: int | None, echo: Callable[[str], None]) -> None:
    """Execute the pages in parallel; on the first failure stop and report it in one line."""
    common = {
        # Relative paths: staging and final folders are at the same depth.
        "data_dir": os.path.relpath(data_dir, staging),
        "period": str(period),
        "results_dir": ".",
        "registry": str(Path(registry).resolve()) if registry else None,
    }
    workers = workers or max(1, min(len(todo), os.cpu_count() or 1))
    log = str(staging / ".kernels.log")
    with ProcessPoolExecutor(workers, initializer=_quiet_worker, initargs=(log,)) as pool:
        futures = {
            pool.submit(_execute, str(templates / f"{page.template}.ipynb"),
                        str(staging / f"{page.name}.ipynb"), {**common, **dict(page.parameters)},
                        str(staging), page.heading): page
            for page in todo
        }
        with _progress(len(futures), str(period)) as bar:
            pending = set(futures)
            while pending:
                finished, pending = wait(pending, return_when=FIRST_EXCEPTION)
                bar.update(len(finished))
                failed = [f for f in finished if f.exception() is not None]
                if failed:
                    for future in pending:
                        future.cancel()
                    raise _PageFailed(futures[failed[0]], _failure_message(failed[0].exception()))
    Path(log).unlink(missing_ok=True)


def refresh_golden(root: Path = Path("."), echo: Callable[[str], None] = print) -> None:
    """Re-execute each template in place on its defaults (data/sample, latest period).

    The stored outputs are what nbval compares against, so this is how a maintainer accepts a
    deliberate change in a published figure. Timing metadata is dropped to keep diffs small.
    """
    import papermill

    templates = Path(root).resolve() / "notebooks"
    for name in TEMPLATES:
        path = templates / f"{name}.ipynb"
        echo(f"re-executing {path}")
        papermill.execute_notebook(str(path), str(path), cwd=str(templates), kernel_name=KERNEL,
                                   progress_bar=False, start_timeout=KERNEL_START_SECONDS)
        nbformat.write(_without_timing(nbformat.read(path, as_version=4)), path)
