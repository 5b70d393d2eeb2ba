"""Provenance for a period: inputs with checksums, versions, commit and parameters.

Written as ``manifest.json`` beside ``kpi_results.csv``. It holds no timestamps or local paths,
so the same inputs and code give the same bytes. Checksums come from :func:`vawgbook.ingest.cache.digests`,
so a file hashed by the load of the same process (and unchanged since) is not read again.
"""

from __future__ import annotations

import subprocess
from importlib import metadata
from pathlib import Path

from ..errors import InputError
from ..files import write_json
from ..ingest import Dataset
from ..ingest.cache import digests
from ..ingest.readers import find_files

PACKAGES = ("vawgbook", "pandas", "numpy", "scipy", "statsmodels", "altair", "vl-convert-python",
            "papermill", "jupyter-book", "python-calamine", "pyarrow")


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def git_commit(root: Path) -> str | None:
    """The project's commit, with ``-dirty`` if tracked files were changed; None outside git."""
    try:
        done = subprocess.run(["git", "-C", str(root), "describe", "--always", "--dirty",
                               "--abbrev=40", "--match=NONE"], capture_output=True, text=True,
                              timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def _checksums(paths: list[Path]) -> dict[Path, str]:
    """sha256 of each file (remembered by file status, so unchanged files are not read again)."""
    sums = digests(paths)
    for path, digest in sums.items():
        if digest is None:
            raise InputError(path, "cannot be read to record its checksum")
    return sums


def input_files(data_dir: Path) -> list[dict]:
    """The input files of ``data_dir``, each with its kind, name and sha256, as the manifest
    lists them."""
    listed = [(kind, path) for kind, paths in find_files(Path(data_dir)).items() for path in paths]
    sums = _checksums([path for _, path in listed])
    return [{"kind": kind, "file": path.name, "sha256": sums[path]} for kind, path in listed]


def build_manifest(data_dir: Path, ds: Dataset, period: str, root: Path,
                   registry: Path | None) -> dict:
    """Everything needed to say where a period's figures came from."""
    registry = Path(registry) if registry else None
    inputs = [{**f, "rows": ds.rows_read.get(f["file"], 0)} for f in input_files(data_dir)]
    return {
        "period": period,
        "parameters": {
            "period": period,
            "registry": registry.name if registry else "vawgbook default",
            "registry_sha256": _checksums([registry])[registry] if registry else None,
        },
        "inputs": inputs,
        "git_commit": git_commit(root),
        "versions": {p: _version(p) for p in PACKAGES},
    }


def write_manifest(manifest: dict, path: Path) -> None:
    write_json(path, manifest, indent=2)
