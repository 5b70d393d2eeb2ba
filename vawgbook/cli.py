"""The ``vawgbook`` command line.

Bad input ends a command with exit status 1 and one line on stderr,
``error: FILE: what is wrong (row N, column C)``; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from .errors import VawgbookError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="The police VAWG outcomes and performance framework as a reproducible report.",
)
_state = {"debug": False}

DataOption = Annotated[Path, typer.Option("--data", help="Folder of Home Office and force files.")]
PeriodOption = Annotated[str, typer.Option("--period", help="Financial quarter, e.g. 2024-25-Q2.")]
RegistryOption = Annotated[
    Path | None, typer.Option("--registry", help="KPI registry YAML (default: the package's own).")
]
RootOption = Annotated[
    Path, typer.Option("--root", help="Project folder holding _config.yml and book/.")
]


@app.callback()
def _options(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
) -> None:
    _state["debug"] = debug


def _say(message: str) -> None:
    typer.echo(message, err=True)


@app.command()
def kpis(data: DataOption, period: PeriodOption, out: Annotated[Path, typer.Option("--out")],
         registry: RegistryOption = None) -> None:
    """Compute the period's KPI results (kpi_results.csv) without notebooks."""
    from .compute import compute
    from .config import load_registry
    from .files import write_csv
    from .ingest import load, registry_codes
    from .periods import Quarter

    quarter = Quarter.parse(period)
    reg = load_registry(registry)
    result = compute(load(data, codes=registry_codes(reg)), reg, quarter)
    for warning in result.warnings:
        _say(f"warning: {warning}")
    write_csv(result.results, out)
    _say(f"wrote {out} ({len(result.results)} rows)")


@app.command()
def validate(data: DataOption, registry: RegistryOption = None) -> None:
    """Check the data folder and print a data-quality summary."""
    from .compute.quality import summary_text
    from .config import load_registry
    from .ingest import load, registry_codes

    reg = load_registry(registry)
    typer.echo(summary_text(load(data, codes=registry_codes(reg)), reg))


WorkersOption = Annotated[
    int | None, typer.Option("--workers", help="Notebooks run at once, each in a warm kernel "
                             "(default: one per core, memory allowing).")
]


@app.command()
def run(data: DataOption, period: PeriodOption, root: RootOption = Path("."),
        registry: RegistryOption = None, workers: WorkersOption = None) -> None:
    """Execute the period's notebooks into book/periods/PERIOD (swapped in only on success)."""
    from .build.notebooks import run_period
    from .periods import Quarter

    folder = run_period(data, Quarter.parse(period), root=root, registry=registry, echo=_say,
                        workers=workers)
    _say(f"period ready: {folder}")


@app.command()
def build(root: RootOption = Path("."), registry: RegistryOption = None,
          pdf: Annotated[bool, typer.Option("--pdf", help="Also print each period to PDF.")] = False,
          ) -> None:
    """Build the HTML book from the periods already run (nothing is re-executed)."""
    from .build.book import build_book

    index = build_book(root, echo=_say, registry=registry, pdf=pdf)
    _say(f"book built: {index}")


@app.command()
def publish(data: DataOption, root: RootOption = Path("."), registry: RegistryOption = None,
            periods: Annotated[int | None, typer.Option(help="Only the last N periods.")] = None,
            force_pages: Annotated[str, typer.Option(
                help="Force pages for the 'latest' period only, or for 'all' periods.")] = "latest",
            workers: WorkersOption = None,
            force: Annotated[bool, typer.Option(
                "--force", help="Re-run every period and rebuild the book, changed or not.")] = False,
            ) -> None:
    """Run every period in the data (or the last N) and build the book.

    Earlier periods get their national, pillar, comparison and data-quality pages; the 43 force
    pages are made for the latest period unless --force-pages all. A period whose pages would not
    change (same figures, registry, templates, code and packages) is skipped, and the book is not
    rebuilt when nothing changed; one line per period says which and why. --force re-runs all.
    """
    if force_pages not in ("latest", "all"):
        raise typer.BadParameter("must be 'latest' or 'all'", param_hint="--force-pages")
    from .build.book import build_book
    from .build.kernels import KernelPool
    from .build.notebooks import run_period
    from .config import load_registry
    from .ingest import load, registry_codes
    from .stats.settings import QUARTERS_PER_YEAR

    # The same code filter as run_period, so the inputs are parsed (and cached) once, not twice.
    quarters = load(data, codes=registry_codes(load_registry(registry))).quarters()
    # Year-on-year comparisons need two full years; earlier quarters have no page.
    quarters = quarters[2 * QUARTERS_PER_YEAR - 1:]
    if periods is not None:
        quarters = quarters[-periods:] if periods > 0 else []
    # One pool of warm kernels for every period, started only if a period needs its pages run.
    with KernelPool(workers, echo=_say, lazy=True) as pool:
        for quarter in quarters:
            run_period(data, quarter, root=root, registry=registry, echo=_say, workers=workers,
                       with_forces=force_pages == "all" or quarter == quarters[-1], pool=pool,
                       skip_unchanged=not force)
    index = build_book(root, echo=_say, registry=registry, skip_unchanged=not force)
    _say(f"book built: {index}")


@app.command()
def golden(root: RootOption = Path(".")) -> None:
    """Re-execute the template notebooks on the sample data: the outputs nbval checks against."""
    from .build.notebooks import refresh_golden

    refresh_golden(root, echo=_say)


cache_app = typer.Typer(no_args_is_help=True, help=(
    "The cache of parsed input files (in $VAWGBOOK_CACHE_DIR or the user's cache folder; "
    "VAWGBOOK_NO_CACHE=1 turns it off)."))
app.add_typer(cache_app, name="cache")


@cache_app.command("clear")
def cache_clear() -> None:
    """Delete every cached table; input files are parsed again when next used."""
    from .ingest.cache import cache_dir, clear

    entries, size = clear()
    _say(f"cache cleared: {entries} entries ({size / 1e6:.1f} MB) removed from {cache_dir()}")


@cache_app.command("info")
def cache_info() -> None:
    """Where the cache is, how much it holds, and when entries are removed."""
    from datetime import datetime

    from .ingest.cache import info

    state = info()
    typer.echo(f"location: {state['folder']}" + ("" if state["enabled"] else
                                                  " (off: VAWGBOOK_NO_CACHE is set)"))
    held = f"entries: {state['entries']} parsed files, {state['bytes'] / 1e6:.1f} MB"
    if state["least_recent_ns"] is not None:
        oldest = datetime.fromtimestamp(state["least_recent_ns"] / 1e9)
        held += f"; least recently used on {oldest:%Y-%m-%d}"
    typer.echo(held)
    typer.echo(f"limits: {state['max_bytes'] / 1e6:g} MB (VAWGBOOK_CACHE_MAX_MB); entries not used "
               f"for {state['max_days']:g} days are removed (VAWGBOOK_CACHE_MAX_DAYS)")


def main() -> None:
    """Entry point: run the app, turning known errors into one line and exit status 1."""
    try:
        app(standalone_mode=False)
    except VawgbookError as exc:
        if _state["debug"]:
            raise
        _say(f"error: {exc}")
        sys.exit(1)
    except (typer.Exit, SystemExit) as exc:
        sys.exit(getattr(exc, "exit_code", getattr(exc, "code", 0)))
    except Exception as exc:  # a click usage error, or a bug: still one line, no traceback
        import click

        # Typer (0.2x) bundles its own copy of click, whose exceptions derive from typer's.
        if isinstance(exc, click.ClickException | typer.TyperException) and hasattr(exc, "show"):
            exc.show()
            sys.exit(exc.exit_code)
        if isinstance(exc, click.exceptions.Abort | typer.Abort):
            _say("error: interrupted")
            sys.exit(1)
        if _state["debug"]:
            raise
        _say(f"error: {type(exc).__name__}: {exc} (run with --debug for the traceback)")
        sys.exit(1)
