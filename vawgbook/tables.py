"""Reading and writing the CSV tables a period produces, with a fixed format."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd

FLOAT_FORMAT = "%.10g"  # fixed, so the same inputs give the same bytes


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write a CSV atomically (to a temporary file, then renamed over the old one)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            frame.to_csv(handle, index=False, float_format=FLOAT_FORMAT, lineterminator="\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_results(path: Path) -> pd.DataFrame:
    """Read a results file written by :func:`write_csv`."""
    frame = pd.read_csv(path, keep_default_na=True, na_values=[""], dtype={"period": str})
    for column in ("dimension", "category"):  # blank for totals: kept as text, not NaN
        if column in frame:
            frame[column] = frame[column].fillna("").astype(str)
    return frame
