"""The package's layout: one folder per stage, imports flowing one way.

config (with errors, periods, files, words) <- ingest <- compute <- publish <- build <- cli;
stats imports nothing else from vawgbook, and publish reads written results, never the inputs.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "vawgbook"
STAGES = ("config", "ingest", "compute", "stats", "publish", "build")
# What each stage may import from vawgbook, besides itself.
ALLOWED = {
    "stats": set(),
    "config": {"errors", "periods"},
    "ingest": {"config", "errors", "periods"},
    "compute": {"config", "errors", "periods", "ingest", "stats", "words"},
    "publish": {"config", "errors", "periods", "files", "stats", "words"},
    "build": {"config", "errors", "periods", "files", "words", "ingest", "compute", "stats", "publish"},
}
CORE = {"errors": set(), "periods": {"errors"}, "files": set(), "words": set()}


def _imports(path: Path, package: Path = PACKAGE) -> set[str]:
    """The vawgbook modules a file imports (first component below vawgbook), wherever in the file
    (imports inside functions count too)."""
    tree = ast.parse(path.read_text("utf-8"))
    relative_to = path.relative_to(package).parts[:-1]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names if a.name.startswith("vawgbook.")]
            found |= {n.split(".")[1] for n in names}
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                if node.module and node.module.startswith("vawgbook."):
                    found.add(node.module.split(".")[1])
                elif node.module == "vawgbook":
                    found |= {a.name for a in node.names}
                continue
            base = list(relative_to[: len(relative_to) - (node.level - 1)])
            target = base + (node.module.split(".") if node.module else [])
            if target:
                found.add(target[0])
            else:  # "from .. import x" at the top of the package
                found |= {a.name for a in node.names}
    return found


def _files(folder: str) -> list[Path]:
    return sorted((PACKAGE / folder).rglob("*.py"))


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_imports_only_what_comes_before_it(stage):
    for path in _files(stage):
        foreign = _imports(path) - {stage} - ALLOWED[stage]
        assert not foreign, f"{path.relative_to(PACKAGE)} imports {sorted(foreign)}"


def test_statistics_stand_alone():
    for path in _files("stats"):
        assert _imports(path) <= {"stats"}, path


def test_publish_never_reads_the_inputs():
    for path in _files("publish"):
        assert not _imports(path) & {"ingest", "compute", "build"}, path


@pytest.mark.parametrize("module", sorted(CORE))
def test_core_modules_import_no_stage(module):
    assert _imports(PACKAGE / f"{module}.py") <= CORE[module] | {module}


def test_the_checker_sees_an_import_it_should_refuse(tmp_path):
    """The rule can fail: a stats module importing the registry (at the top, or inside a
    function) is caught."""
    fake = tmp_path / "vawgbook" / "stats" / "bad.py"
    fake.parent.mkdir(parents=True)
    fake.write_text("from ..config import load_registry\nfrom . import glm\n\ndef f():\n"
                    "    from vawgbook import ingest\n    import vawgbook.build.book\n")
    assert _imports(fake, tmp_path / "vawgbook") == {"config", "stats", "ingest", "build"}


# Import names that differ from the distribution's name on PyPI.
DISTRIBUTIONS = {"yaml": "pyyaml", "python_calamine": "python-calamine", "vl_convert": "vl-convert-python",
                 "IPython": "ipython", "markdown_it": "markdown-it-py", "zmq": "pyzmq",
                 "jupyter_client": "jupyter-client", "jupyter_core": "jupyter-core"}


def test_every_third_party_import_is_a_declared_dependency():
    import sys
    import tomllib

    project = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text("utf-8"))["project"]
    declared = {d.split(">")[0].split("<")[0].split("=")[0].strip().lower()
                for d in project["dependencies"]}
    used = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                used |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                used.add(node.module.split(".")[0])
    third_party = used - set(sys.stdlib_module_names) - {"vawgbook"}
    missing = {m for m in third_party if DISTRIBUTIONS.get(m, m).lower() not in declared}
    assert not missing, f"imported but not declared in pyproject.toml: {sorted(missing)}"
    assert "statsmodels" not in third_party  # the tests' reference, not a runtime dependency
