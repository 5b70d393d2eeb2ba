"""The cache of parsed input files, and the offence-code filter of ``load``.

Every test points ``VAWGBOOK_CACHE_DIR`` at its own empty folder.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from helpers import (
    CRIME_HEADER,
    OUTCOMES_CURRENT_HEADER,
    OUTCOMES_OLDER_HEADER,
    REPO,
    SAMPLE,
    crime_folder,
    crime_row,
    current_row,
    notes_sheet,
    older_row,
    sheet,
    write_csv,
    write_workbook,
)

from vawgbook.build.manifest import build_manifest
from vawgbook.config import load_registry
from vawgbook.errors import InputError
from vawgbook.ingest import cache, sources
from vawgbook.ingest.sources import load, registry_codes

CODES = registry_codes(load_registry())
TABLES = ("crime", "outcomes", "returns", "population")
QUALITY = ("files", "set_aside", "negatives", "not_provided", "unknown_measures")


@pytest.fixture
def cache_dir(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("VAWGBOOK_CACHE_DIR", str(folder))
    monkeypatch.delenv("VAWGBOOK_NO_CACHE", raising=False)
    for name in ("VAWGBOOK_CACHE_MAX_MB", "VAWGBOOK_CACHE_MAX_DAYS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(cache, "_known", {})  # as in a new process
    monkeypatch.setattr(cache, "_in_use", set())
    return folder


def entries(folder: Path) -> list[Path]:
    return sorted((folder / cache.TABLES).glob(f"*{cache.SUFFIX}"))


def assert_same(a: sources.Dataset, b: sources.Dataset) -> None:
    for name in TABLES:
        left, right = getattr(a, name), getattr(b, name)
        assert (left is None) == (right is None), name
        if left is not None:
            pd.testing.assert_frame_equal(left, right, check_exact=True, obj=name)
    for name in QUALITY:
        assert getattr(a.quality, name) == getattr(b.quality, name), name


def forbid_parsing(patch: pytest.MonkeyPatch) -> None:
    """Make any file read fail: what follows must come from the cache."""
    def fail(*args, **kwargs):
        raise AssertionError("a file was parsed although its cache entry should have been used")
    patch.setattr(sources, "parse_file", fail)


# ---------------------------------------------------------------- warm equals cold


@pytest.mark.parametrize("codes", [None, CODES], ids=["everything", "registry codes"])
def test_warm_load_equals_cold_load_on_the_sample(cache_dir, monkeypatch, codes):
    uncached = load(SAMPLE, codes=codes, cache=False)
    assert entries(cache_dir) == []
    cold = load(SAMPLE, codes=codes)
    assert len(entries(cache_dir)) == len(list(SAMPLE.glob("*.csv*")))
    with monkeypatch.context() as patch:
        forbid_parsing(patch)
        warm = load(SAMPLE, codes=codes)
    assert_same(cold, uncached)
    assert_same(warm, cold)
    # The quality records are those of the sample (data/sample/README.md), whatever the filter.
    assert len(warm.quality.negatives) == 8
    assert {s["body"] for s in warm.quality.set_aside} == {"British Transport Police", "Action Fraud"}


def test_workbooks_come_back_with_their_sheets(cache_dir, tmp_path, monkeypatch):
    folder = tmp_path / "data"
    folder.mkdir()
    rows = [crime_row("Kent", "2024/25", 1, "19C", 5), crime_row("British Transport Police"),
            crime_row("Surrey", "2024/25", 1, "8Q", -2)]
    write_workbook(folder / "recorded_crime.xlsx", {
        "Notes": notes_sheet(), "2024-25": sheet(CRIME_HEADER, rows, title_rows=2)})
    cold = load(folder)
    with monkeypatch.context() as patch:
        forbid_parsing(patch)
        warm = load(folder)
    assert_same(warm, cold)
    assert warm.quality.files == [
        {"kind": "recorded_crime", "file": "recorded_crime.xlsx [2024-25]", "rows": 3}]
    assert warm.quality.negatives == [{"file": "recorded_crime.xlsx [2024-25]", "row": 6,
                                       "column": "Number of Offences", "value": -2.0}]


# ---------------------------------------------------------------- changes and names


def test_a_changed_file_is_read_again(cache_dir, tmp_path):
    folder = crime_folder(tmp_path / "data", [crime_row("Kent", "2024/25", 1, "19C", 5)])
    assert load(folder).crime["offences"].tolist() == [5.0]
    path = folder / "recorded_crime.csv"
    stat = path.stat()
    write_csv(path, CRIME_HEADER, [crime_row("Kent", "2024/25", 1, "19C", 7)])  # same size
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # and the same modification time
    assert path.stat().st_size == stat.st_size
    assert load(folder).crime["offences"].tolist() == [7.0]
    assert len(entries(cache_dir)) == 2
    # Back to the first version: its entry is still there and is used.
    write_csv(path, CRIME_HEADER, [crime_row("Kent", "2024/25", 1, "19C", 5)])
    assert load(folder).crime["offences"].tolist() == [5.0]
    assert len(entries(cache_dir)) == 2


def test_a_renamed_copy_is_a_hit_but_reports_its_own_name(cache_dir, tmp_path):
    rows = [crime_row("Kent", "2024/25", 1, "19C", 5), crime_row("British Transport Police")]
    first = crime_folder(tmp_path / "first", rows)
    load(first)
    second = tmp_path / "second"
    second.mkdir()
    shutil.copy(first / "recorded_crime.csv", second / "recorded_crime_2024-25.csv")
    ds = load(second)
    assert len(entries(cache_dir)) == 1
    assert ds.quality.files == [
        {"kind": "recorded_crime", "file": "recorded_crime_2024-25.csv", "rows": 2}]
    assert ds.quality.set_aside == [{"file": "recorded_crime_2024-25.csv",
                                     "body": "British Transport Police", "rows": 1}]
    # Errors found after reading (a key in two files) name the files as they are now.
    shutil.copy(first / "recorded_crime.csv", second / "recorded_crime_copy.csv")
    with pytest.raises(InputError) as info:
        load(second)
    assert info.value.file == str(second / "recorded_crime_copy.csv")
    assert "recorded_crime_2024-25.csv row 2" in info.value.message


def test_a_bad_file_is_not_cached_and_fails_every_time(cache_dir, tmp_path):
    folder = crime_folder(tmp_path / "data", [crime_row("Kent", n="lots")])
    for _ in range(2):
        with pytest.raises(InputError) as info:
            load(folder)
        assert (info.value.row, info.value.column) == (2, "Number of Offences")
    assert entries(cache_dir) == []


# ---------------------------------------------------------------- where, damage, clear, off


def test_cache_dir_follows_the_environment(cache_dir, tmp_path, monkeypatch):
    assert cache.cache_dir() == cache_dir
    load(crime_folder(tmp_path / "data"))
    assert len(entries(cache_dir)) == 1
    other = tmp_path / "elsewhere"
    monkeypatch.setenv("VAWGBOOK_CACHE_DIR", str(other))
    load(tmp_path / "data")
    assert len(entries(other)) == 1
    monkeypatch.delenv("VAWGBOOK_CACHE_DIR")
    default = cache.cache_dir()  # the user's cache folder (nothing is written to it here)
    assert default.name == "vawgbook" and default != other


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty"])
def test_a_damaged_entry_is_ignored_and_rebuilt(cache_dir, tmp_path, damage):
    folder = crime_folder(tmp_path / "data")
    cold = load(folder)
    (entry,) = entries(cache_dir)
    data = entry.read_bytes()
    entry.write_bytes({"garbage": b"not parquet at all" * 50, "truncated": data[: len(data) // 2],
                       "empty": b""}[damage])
    assert_same(load(folder), cold)
    assert entries(cache_dir) == [entry] and entry.read_bytes() == data  # written again
    assert_same(load(folder), cold)


def test_an_entry_for_another_key_is_not_used(cache_dir, tmp_path):
    folder = crime_folder(tmp_path / "data", [crime_row("Kent", n=5)])
    load(folder)
    (entry,) = entries(cache_dir)
    other = crime_folder(tmp_path / "other", [crime_row("Kent", n=6)])
    load(other)
    (second,) = [e for e in entries(cache_dir) if e != entry]
    shutil.copy(second, entry)  # a valid entry, stored under the wrong name
    assert load(folder).crime["offences"].tolist() == [5.0]


def test_cache_clear_empties_the_cache(cache_dir, tmp_path):
    load(SAMPLE)
    assert entries(cache_dir)
    done = subprocess.run([sys.executable, "-m", "vawgbook", "cache", "clear"], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"removed from {cache_dir}" in done.stderr
    assert entries(cache_dir) == []
    assert not cache_dir.exists() or not any(cache_dir.rglob("*"))


def test_no_cache_writes_nothing(cache_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("VAWGBOOK_NO_CACHE", "1")
    load(crime_folder(tmp_path / "data"))
    assert not cache_dir.exists()


# ---------------------------------------------------------------- the offence-code filter


def _outcomes_folder(folder: Path) -> Path:
    crime_folder(folder)
    write_csv(folder / "outcomes_2021-22.csv", OUTCOMES_OLDER_HEADER, [
        older_row("Kent", "2021/22", 1, "19C", 1, 1, 2),
        older_row("Kent", "2021/22", 1, "28E", 18, 5, -1),  # a negative in a code filtered out
        older_row("Surrey", "2021/22", 1, "28E", 18, 4, 4),  # Surrey: only codes filtered out
        older_row("British Transport Police", "2021/22", 1, "28E", 18, 1, 1),
        older_row("Greater Manchester", "2021/22", 1, "28E", 1,
                  "N/A - data not provided", "N/A - data not provided"),
    ])
    write_csv(folder / "outcomes_2022-23.csv", OUTCOMES_CURRENT_HEADER, [
        current_row("Kent", "2022/23", 1, "8Q", 1, 0, 3)])
    return folder


@pytest.mark.parametrize("cached", [False, True], ids=["cold", "warm"])
def test_filtered_load_keeps_the_codes_asked_for_and_everything_else(cache_dir, tmp_path, cached):
    folder = _outcomes_folder(tmp_path / "data")
    full = load(folder, cache=False)
    if cached:
        load(folder, codes=CODES)
    ds = load(folder, codes=CODES)
    real = ds.outcomes.loc[ds.outcomes["offence_code"] != ""].reset_index(drop=True)
    expected = full.outcomes.loc[full.outcomes["offence_code"].isin(CODES)].reset_index(drop=True)
    pd.testing.assert_frame_equal(real, expected)
    # Surrey sent outcomes that quarter (of another code): it keeps one row with no count.
    placeholder = ds.outcomes.loc[ds.outcomes["offence_code"] == ""]
    assert placeholder["force"].tolist() == ["Surrey"] and placeholder["closed"].isna().all()
    assert set(zip(ds.outcomes["force"], ds.outcomes["qidx"], strict=True)) == set(
        zip(full.outcomes["force"], full.outcomes["qidx"], strict=True))
    for name in QUALITY:  # checked and recorded as in a full read
        assert getattr(ds.quality, name) == getattr(full.quality, name), name
    assert [n["row"] for n in ds.quality.negatives] == [3]
    pd.testing.assert_frame_equal(ds.crime, full.crime)


@pytest.mark.parametrize("where", ["one file", "two files"])
def test_filtered_load_still_finds_duplicates_among_codes_filtered_out(cache_dir, tmp_path, where):
    folder = crime_folder(tmp_path / "data")
    rows = [older_row("Kent", "2021/22", 1, "19C", 1, 1, 1),
            older_row("Kent", "2021/22", 1, "28E", 18, 1, 1)]
    if where == "one file":
        rows.append(older_row("Kent", "2021/22", 1, "28E", 18, 2, 2))
        write_csv(folder / "outcomes_a.csv", OUTCOMES_OLDER_HEADER, rows)
    else:
        write_csv(folder / "outcomes_a.csv", OUTCOMES_OLDER_HEADER, rows)
        write_csv(folder / "outcomes_b.csv", OUTCOMES_OLDER_HEADER,
                  [older_row("Kent", "2021/22", 1, "28E", 18, 2, 2)])
    with pytest.raises(InputError) as unfiltered:
        load(folder, cache=False)
    for _ in range(2):  # cold, then with the files' entries cached
        with pytest.raises(InputError) as filtered:
            load(folder, codes=CODES)
        assert str(filtered.value) == str(unfiltered.value)
        assert "28E" in filtered.value.message


def test_filtered_load_reports_bad_rows_of_codes_filtered_out(cache_dir, tmp_path):
    folder = crime_folder(tmp_path / "data")
    write_csv(folder / "outcomes.csv", OUTCOMES_CURRENT_HEADER, [
        current_row("Kent", "2022/23", 1, "19C", 1, 0, 3),
        current_row("Kent", "2022/23", 1, "28E", 1, 0, "many")])
    with pytest.raises(InputError) as info:
        load(folder, codes=CODES)
    assert (info.value.row, info.value.column) == (
        3, "Outcomes for investigations closed in the quarter")


def test_registry_codes_are_the_union_of_the_offence_groups():
    assert CODES == tuple(sorted({"19C", "19D", "19E", "20A", "20B", "88E", "8Q", "8L", "8U"}))


# ---------------------------------------------------------------- checksums for the manifest

REGISTRY = REPO / "vawgbook" / "config" / "kpis.yaml"


def count_hashing(patch: pytest.MonkeyPatch) -> Counter:
    calls: Counter = Counter()
    real = cache._sha256

    def counting(path):
        calls[Path(path).name] += 1
        return real(path)

    patch.setattr(cache, "_sha256", counting)
    return calls


def manifest_sums(folder: Path) -> dict[str, str]:
    manifest = build_manifest(folder, load(folder, codes=CODES), "2024-25-Q2", folder, REGISTRY)
    return {**{i["file"]: i["sha256"] for i in manifest["inputs"]},
            REGISTRY.name: manifest["parameters"]["registry_sha256"]}


def true_sums(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in [*folder.iterdir(), REGISTRY]}


@pytest.mark.parametrize("setting", ["cache on", "cache off", "cache cannot be written"])
def test_load_and_manifest_hash_each_file_once(cache_dir, tmp_path, monkeypatch, setting):
    if setting == "cache off":
        monkeypatch.setenv("VAWGBOOK_NO_CACHE", "1")
    elif setting == "cache cannot be written":
        (tmp_path / "a file").write_text("")
        monkeypatch.setenv("VAWGBOOK_CACHE_DIR", str(tmp_path / "a file" / "cache"))
    folder = _outcomes_folder(tmp_path / "data")
    monkeypatch.setattr(cache, "RACY_SECONDS", 0)  # the files were written just now
    calls = count_hashing(monkeypatch)
    assert manifest_sums(folder) == true_sums(folder)
    assert manifest_sums(folder) == true_sums(folder)
    assert calls == dict.fromkeys(true_sums(folder), 1)


def test_a_file_changed_since_it_was_hashed_gets_its_new_checksum(cache_dir, tmp_path,
                                                                  monkeypatch):
    folder = crime_folder(tmp_path / "data", [crime_row("Kent", "2024/25", 1, "19C", 5)])
    monkeypatch.setattr(cache, "RACY_SECONDS", 0)
    calls = count_hashing(monkeypatch)
    first = manifest_sums(folder)
    path = folder / "recorded_crime.csv"
    stat = path.stat()
    time.sleep(0.05)  # past the file system's timestamp tick
    write_csv(path, CRIME_HEADER, [crime_row("Kent", "2024/25", 1, "19C", 7)])  # same size
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # and the same modification time
    second = manifest_sums(folder)
    time.sleep(0.05)
    write_csv(path, CRIME_HEADER, [crime_row("Kent", "2024/25", 1, "19C", 70)])  # a new size
    third = manifest_sums(folder)
    assert first != second != third
    assert third == true_sums(folder)
    assert calls[path.name] == 3


def test_a_file_changed_moments_ago_is_never_trusted_unread(cache_dir, tmp_path, monkeypatch):
    folder = crime_folder(tmp_path / "data")  # written within RACY_SECONDS: a change may hide
    calls = count_hashing(monkeypatch)
    assert manifest_sums(folder) == true_sums(folder)
    assert calls["recorded_crime.csv"] == 2


# ---------------------------------------------------------------- pruning

DAY = 86400


def fake_entries(folder: Path, ages: list[float], size: int = 1000, suffix=cache.SUFFIX) -> list[Path]:
    """Entries of ``size`` bytes last used ``ages`` days ago."""
    (folder / cache.TABLES).mkdir(parents=True, exist_ok=True)
    paths = []
    for n, age in enumerate(ages):
        path = folder / cache.TABLES / f"fake-{n}{suffix}"
        path.write_bytes(b"x" * size)
        when = time.time_ns() - int(age * DAY * 1e9)
        os.utime(path, ns=(when, when))
        paths.append(path)
    return paths


def left(paths: list[Path]) -> list[int]:
    return [n for n, p in enumerate(paths) if p.exists()]


@pytest.mark.parametrize("max_days", [None, "10"])
def test_prune_removes_entries_not_used_for_long(cache_dir, monkeypatch, max_days):
    days = 90 if max_days is None else 10
    if max_days is not None:
        monkeypatch.setenv("VAWGBOOK_CACHE_MAX_DAYS", max_days)
    paths = fake_entries(cache_dir, [days + 1, days - 1, days + 30, 0])
    assert cache.prune() == (2, 2000)
    assert left(paths) == [1, 3]


def test_prune_keeps_the_cache_under_its_size_cap_least_recently_used_first(cache_dir, monkeypatch):
    monkeypatch.setenv("VAWGBOOK_CACHE_MAX_MB", "0.003")  # 3000 bytes: three entries
    paths = fake_entries(cache_dir, [3, 1, 5, 2, 4])
    assert cache.prune() == (2, 2000)
    assert left(paths) == [0, 1, 3]
    assert cache.prune() == (0, 0)


def test_settings_that_are_not_numbers_leave_the_defaults(cache_dir, monkeypatch):
    monkeypatch.setenv("VAWGBOOK_CACHE_MAX_MB", "lots")
    monkeypatch.setenv("VAWGBOOK_CACHE_MAX_DAYS", "")
    assert cache.limits() == (cache.MAX_MB * 10**6, cache.MAX_DAYS * DAY * 10**9)


def test_prune_never_removes_entries_this_process_uses(cache_dir, tmp_path, monkeypatch):
    folder = _outcomes_folder(tmp_path / "data")
    load(folder)
    ours = entries(cache_dir)
    for path in ours:  # long unused, as far as their times say
        os.utime(path, ns=(0, 0))
    others = fake_entries(cache_dir, [0])
    monkeypatch.setenv("VAWGBOOK_CACHE_MAX_MB", "0")
    assert cache.prune() == (1, 1000)
    assert entries(cache_dir) == ours and left(others) == []


def test_a_hit_counts_as_a_use(cache_dir, tmp_path, monkeypatch):
    folder = crime_folder(tmp_path / "data")
    load(folder)
    (entry,) = entries(cache_dir)
    os.utime(entry, ns=(0, 0))
    monkeypatch.setattr(cache, "_in_use", set())  # a new process
    load(folder)
    assert time.time() - entry.stat().st_mtime < DAY
    monkeypatch.setattr(cache, "_in_use", set())
    assert cache.prune() == (0, 0)


def test_a_load_that_writes_entries_prunes(cache_dir, tmp_path):
    old = fake_entries(cache_dir, [365])
    load(crime_folder(tmp_path / "data"))
    assert left(old) == [] and len(entries(cache_dir)) == 1


def test_prune_takes_files_removed_by_another_process_as_gone(cache_dir, monkeypatch):
    monkeypatch.setenv("VAWGBOOK_CACHE_MAX_MB", "0.002")
    paths = fake_entries(cache_dir, [4, 3, 2, 1])
    listed = cache._files

    def then_another_process_prunes(folder):
        found = listed(folder)
        paths[0].unlink()
        return found

    monkeypatch.setattr(cache, "_files", then_another_process_prunes)
    cache.prune()
    assert left(paths) == [2, 3]  # the vanished entry freed its share: only one more removed


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*") if p.is_file()}


def test_a_read_only_cache_is_used_and_left_as_it_is(cache_dir, tmp_path, monkeypatch):
    folder = crime_folder(tmp_path / "data")
    cold = load(folder)
    fake_entries(cache_dir, [365], suffix=".tmp")
    fake_entries(cache_dir, [365])
    before = snapshot(cache_dir)

    def denied(*args, **kwargs):
        raise PermissionError("read-only")

    for name in ("unlink", "utime", "replace"):
        monkeypatch.setattr(cache.os, name, denied)
    monkeypatch.setattr(cache.tempfile, "mkstemp", denied)
    monkeypatch.setattr(cache, "_in_use", set())  # a new process
    with monkeypatch.context() as patch:
        forbid_parsing(patch)
        assert_same(load(folder), cold)
    load(crime_folder(tmp_path / "other", [crime_row("Kent", n=3)]))  # a miss: nothing written
    assert cache.prune() == (0, 0) and cache.clear() == (0, 0)
    monkeypatch.undo()
    assert snapshot(cache_dir) == before


def test_prune_removes_only_temporary_files_older_than_a_day(cache_dir):
    temps = fake_entries(cache_dir, [2, 0.5], suffix=".tmp")  # left by a dead process; being written
    cache.prune()
    assert left(temps) == [1]


def test_cache_info_says_where_and_how_much(cache_dir, tmp_path):
    load(crime_folder(tmp_path / "data"))
    (entry,) = entries(cache_dir)
    env = {**os.environ, "VAWGBOOK_CACHE_MAX_MB": "500"}
    done = subprocess.run([sys.executable, "-m", "vawgbook", "cache", "info"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"location: {cache_dir}\n" in done.stdout
    assert f"entries: 1 parsed files, {entry.stat().st_size / 1e6:.1f} MB" in done.stdout
    assert "limits: 500 MB" in done.stdout and "90 days" in done.stdout
