"""Executing the template notebooks for a period with papermill, atomically.

A period is computed once (``kpi_results.csv`` and ``kpi_quarterly.csv``), its notebooks are
executed into a staging folder beside the published one, and the staging folder replaces the
published period only when every notebook succeeded. On failure the published period is left
as it was and the failed notebooks are kept for inspection.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import nbformat

from .errors import InputError
from .periods import Quarter
from .registry import load_registry
from .report import QUARTERLY_FILE, RESULTS_FILE
from .results import compute, write_csv
from .sources import load

NOTEBOOKS = ("national_overview",)
KERNEL = "python3"
HIDDEN_CELL_TAGS = {"parameters", "injected-parameters"}


def periods_dir(root: Path) -> Path:
    return Path(root) / "book" / "periods"


def _tag_for_book(path: Path) -> None:
    """Hide code from readers: parameter cells entirely, other code cells' input only."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        tags = set(cell.metadata.get("tags", []))
        tags.add("remove-cell" if tags & HIDDEN_CELL_TAGS else "remove-input")
        cell.metadata["tags"] = sorted(tags)
    nbformat.write(nb, path)


def _index_page(period: Quarter) -> str:
    return (f"# {period.label}\n\nFigures for {period.months} and the {period.year_ending}.\n\n"
            "```{tableofcontents}\n```\n")


def _swap(staging: Path, final: Path) -> None:
    """Put ``staging`` in place of ``final``; the old folder is removed only afterwards."""
    old = final.with_name(f".old-{final.name}-{os.getpid()}")
    if final.exists():
        os.replace(final, old)
    os.replace(staging, final)
    shutil.rmtree(old, ignore_errors=True)


def run_period(data_dir: Path, period: Quarter, root: Path = Path("."),
               registry: Path | None = None, echo: Callable[[str], None] = print) -> Path:
    """Compute the period's results and execute every template notebook for it."""
    import papermill

    root = Path(root).resolve()
    data_dir = Path(data_dir).resolve()
    templates = root / "notebooks"
    reg = load_registry(registry)
    results = compute(load(data_dir), reg, period)
    for warning in results.warnings:
        echo(f"warning: {warning}")

    out_dir = periods_dir(root)
    final = out_dir / str(period)
    staging = out_dir / f".staging-{period}-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        write_csv(results.results, staging / RESULTS_FILE)
        write_csv(results.quarterly, staging / QUARTERLY_FILE)
        (staging / "index.md").write_text(_index_page(period), encoding="utf-8")
        parameters = {
            # Relative paths: staging and final folders are at the same depth.
            "data_dir": os.path.relpath(data_dir, staging),
            "period": str(period),
            "results_dir": ".",
            "registry": str(Path(registry).resolve()) if registry else None,
        }
        for name in NOTEBOOKS:
            echo(f"{period}: running {name}")
            output = staging / f"{name}.ipynb"
            try:
                papermill.execute_notebook(
                    str(templates / f"{name}.ipynb"), str(output), parameters=parameters,
                    cwd=str(staging), kernel_name=KERNEL, progress_bar=False, log_output=False,
                )
            except papermill.PapermillExecutionError as exc:
                failed = out_dir / f".failed-{period}"
                shutil.rmtree(failed, ignore_errors=True)
                os.replace(staging, failed)
                raise InputError(
                    failed / f"{name}.ipynb",
                    f"notebook failed in cell {exc.cell_index}: {exc.ename}: {exc.evalue}; "
                    f"the published {period} pages were left as they were",
                ) from None
            _tag_for_book(output)
        _swap(staging, final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return final


def refresh_golden(root: Path = Path("."), echo: Callable[[str], None] = print) -> None:
    """Re-execute each template in place on its defaults (data/sample, latest period).

    The stored outputs are what nbval compares against, so this is how a maintainer accepts a
    deliberate change in a published figure. Timing metadata is dropped to keep diffs small.
    """
    import papermill

    templates = Path(root).resolve() / "notebooks"
    for name in NOTEBOOKS:
        path = templates / f"{name}.ipynb"
        echo(f"re-executing {path}")
        papermill.execute_notebook(str(path), str(path), cwd=str(templates), kernel_name=KERNEL,
                                   progress_bar=False)
        nb = nbformat.read(path, as_version=4)
        nb.metadata.pop("papermill", None)
        for cell in nb.cells:
            cell.metadata.pop("papermill", None)
            cell.metadata.pop("execution", None)
        nbformat.write(nb, path)
