"""A project whose template notebooks only print their parameters (fast to execute), for the
tests of the period runner and of incremental publishing."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from vawgbook.build.notebooks import TEMPLATES
from vawgbook.periods import Quarter

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


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
