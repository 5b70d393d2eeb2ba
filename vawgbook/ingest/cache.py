"""A cache of parsed input files, so that an unchanged file is read and checked only once.

An entry is what parsing one input file gave: a list of tables (data frames) and a JSON-able
record for each (what the reader needs to rebuild its objects; this module never looks inside),
stored as one Parquet file. The key is the file's sha256 with the kind of table, the offence-code
filter and the reader's own fingerprint (its version, code and configuration, given by
:mod:`vawgbook.ingest.sources`): a changed file or a changed reader never meets an old entry.
The file's name and folder are not part of the key (they are attached again on every load), so a
renamed or copied file is still a hit.

Where: ``$VAWGBOOK_CACHE_DIR`` if set, else the user's cache folder (``platformdirs``, e.g.
``~/.cache/vawgbook`` on Linux), else ``~/.cache/vawgbook``. ``VAWGBOOK_NO_CACHE=1`` turns the
cache off. Each file's sha256 is remembered by path and file status (``digests.json``), so an
unchanged file is not hashed on every load. Entries are written to a temporary file and renamed
into place, so a reader never sees half an entry; an entry that cannot be read is deleted and
rebuilt. Digests are also remembered in the process, so the manifest does not read the inputs again.

Pruning: a hit touches its entry, so an entry's modification time is its last use. After a load
writes new entries, entries not used for ``$VAWGBOOK_CACHE_MAX_DAYS`` (90) days are removed, then
the least recently used until the entries fit in ``$VAWGBOOK_CACHE_MAX_MB`` (2000) MB; entries
this process used are kept. A file that vanishes meanwhile (another process pruned it) or cannot
be removed (a read-only folder) is passed over. ``vawgbook cache info`` says where the cache is and
how big; ``vawgbook cache clear`` empties it.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
import stat as stat_module
import tempfile
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ENTRY_FORMAT = 2  # the layout of an entry (below); a different one is a miss
TABLES = "tables"  # the sub-folder holding entries
SUFFIX = ".parquet"
_META = b"vawgbook"
MEMO = "digests.json"  # sha256 of files by path and stat, so unchanged files are not re-hashed
MEMO_ENTRIES = 1000
RACY_SECONDS = 2.0
MAX_MB = 2000  # default cap on the entries' size, $VAWGBOOK_CACHE_MAX_MB
MAX_DAYS = 90  # default: entries not used for longer are removed, $VAWGBOOK_CACHE_MAX_DAYS
TEMP_SECONDS = 86400  # a temporary file older than this was left by a process that died


def cache_dir() -> Path:
    """The cache folder (it may not exist yet)."""
    configured = os.environ.get("VAWGBOOK_CACHE_DIR", "").strip()
    if configured:
        return Path(configured).expanduser()
    try:
        from platformdirs import user_cache_dir
    except ImportError:
        return Path.home() / ".cache" / "vawgbook"
    return Path(user_cache_dir("vawgbook", appauthor=False))


_known: dict[str, list] = {}  # digests of this process, as in the memo: path -> [*stat, sha256]
_in_use: set[str] = set()  # names of the entries this process read or wrote (never pruned)


def enabled() -> bool:
    """Whether loads use the cache (``VAWGBOOK_NO_CACHE`` set to anything but 0 turns it off)."""
    return os.environ.get("VAWGBOOK_NO_CACHE", "").strip().lower() in ("", "0", "false", "no")


def _sha256(path: Path) -> str | None:
    try:
        with open(path, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return None  # the reader will say what is wrong with the file


def _stat(path: Path) -> list[int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]


def _read_memo() -> dict[str, list]:
    try:
        memo = json.loads((cache_dir() / MEMO).read_text("utf-8"))
        return memo if isinstance(memo, dict) else {}
    except (OSError, ValueError):
        return {}


def _write(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` atomically (a reader sees the old file or the new one)."""
    temp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temp, path)
        temp = None
        return True
    except OSError:
        return False  # a cache that cannot be written only costs time
    finally:
        if temp is not None:
            try:
                os.unlink(temp)
            except OSError:
                pass


def digests(paths: Iterable[Path], *, persist: bool | None = None) -> dict[Path, str | None]:
    """The sha256 of each file (None if it cannot be read).

    Files are hashed side by side (hashing releases the GIL). A file whose device, inode, size,
    modification and change times all match a file hashed before, in this process or (with
    ``persist``, by default when the cache is on) in the memo, is not hashed again (as git trusts
    its index); files changed in the last few seconds are never remembered, so two writes within
    one timestamp tick cannot hide a change.
    """
    paths = list(paths)
    persist = enabled() if persist is None else persist
    memo: dict[str, list] | None = None
    result: dict[Path, str | None] = {}
    todo = []
    for path in paths:
        stat, key = _stat(path), str(Path(path).resolve())
        entry = _known.get(key)
        if not _matches(entry, stat) and persist:
            memo = _read_memo() if memo is None else memo
            entry = memo.get(key)
        if _matches(entry, stat):
            _known[key] = entry
            result[path] = entry[5]
        else:
            todo.append((path, key, stat))
    if todo:
        workers = max(1, min(len(todo), os.cpu_count() or 1, 4))
        with ThreadPoolExecutor(workers) as pool:
            hashed = list(pool.map(_sha256, [path for path, _, _ in todo]))
        settled = time.time_ns() - int(RACY_SECONDS * 1e9)
        remember = False
        for (path, key, stat), digest in zip(todo, hashed, strict=True):
            result[path] = digest
            if digest is not None and stat is not None and max(stat[3], stat[4]) < settled:
                _known[key] = [*stat, digest]
                if memo is not None:  # read above: persist is on
                    memo[key] = _known[key]
                    remember = True
        while len(_known) > MEMO_ENTRIES:
            del _known[next(iter(_known))]
        if remember:
            keep = dict(list(memo.items())[-MEMO_ENTRIES:])
            _write(cache_dir() / MEMO, json.dumps(keep).encode())
    return {path: result[path] for path in paths}


def _matches(entry, stat: list[int] | None) -> bool:
    return stat is not None and isinstance(entry, list) and len(entry) == 6 and entry[:5] == stat


def entry_key(file_digest: str, kind: str, codes: frozenset[str] | None, reader: str) -> str:
    """The key of a file's entry: its content, what was read from it, and by which reader
    (``reader``: a fingerprint of the reading code and configuration)."""
    wanted = "all" if codes is None else ",".join(sorted(codes))
    text = f"{ENTRY_FORMAT}|{reader}|{kind}|{wanted}"
    return f"{kind}-{file_digest[:32]}-{hashlib.sha256(text.encode()).hexdigest()[:16]}"


def _entry(key: str) -> Path:
    return cache_dir() / TABLES / f"{key}{SUFFIX}"


def get(key: str) -> tuple[list, list[dict]] | None:
    """The tables and records stored under ``key``, or None (also when the entry is damaged: it
    is then removed)."""
    import pyarrow.parquet as pq

    path = _entry(key)
    if not path.is_file():
        return None
    try:
        table = pq.read_table(path)
        meta = json.loads(table.schema.metadata[_META])
        if meta.get("format") != ENTRY_FORMAT or meta.get("key") != key:
            raise ValueError("not this entry")
        if sum(meta["lengths"]) != table.num_rows or len(meta["lengths"]) != len(meta["records"]):
            raise ValueError("row count does not match")
        frame = table.to_pandas()
        bounds = [0, *itertools.accumulate(meta["lengths"])]
        frames = [frame.iloc[a:b].reset_index(drop=True) for a, b in itertools.pairwise(bounds)]
        records = meta["records"]
    except Exception:  # a damaged, truncated or foreign file: drop it and read the input again
        _remove(path)
        return None
    _in_use.add(path.name)
    try:
        os.utime(path)  # its modification time is its last use, for pruning
    except OSError:
        pass  # a read-only cache
    return frames, records


def put(key: str, frames: list, records: list[dict]) -> bool:
    """Store tables (data frames of one set of columns) and a JSON-able record for each under
    ``key``, atomically; failing to write only costs the next load. Returns whether it was written.
    """
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    meta = {"format": ENTRY_FORMAT, "key": key, "lengths": [len(f) for f in frames],
            "records": records}
    table = pa.Table.from_pandas(pd.concat(frames, ignore_index=True), preserve_index=False)
    table = table.replace_schema_metadata(
        {**(table.schema.metadata or {}), _META: json.dumps(meta).encode()})
    buffer = pa.BufferOutputStream()
    pq.write_table(table, buffer)
    _in_use.add(_entry(key).name)
    return _write(_entry(key), buffer.getvalue().to_pybytes())


def _files(folder: Path) -> list[tuple[Path, int, int]]:
    """The files in ``folder`` as (path, size, mtime_ns); one vanishing meanwhile is left out."""
    found = []
    try:
        with os.scandir(folder) as items:
            for item in items:
                try:
                    st = item.stat()
                except OSError:
                    continue
                if stat_module.S_ISREG(st.st_mode):
                    found.append((Path(item.path), st.st_size, st.st_mtime_ns))
    except OSError:
        pass  # no cache yet
    return found


def _owned() -> list[tuple[Path, int, int]]:
    """The cache's files: entries, half-written ones and the digest memo."""
    return ([f for f in _files(cache_dir() / TABLES) if f[0].name.endswith((SUFFIX, ".tmp"))]
            + [f for f in _files(cache_dir()) if MEMO in f[0].name])


def _remove(path: Path) -> bool:
    """Delete ``path``; False if it is still there (a read-only cache, or open on Windows)."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass  # another process removed it
    except OSError:
        return False
    return True


def _setting(name: str, default: float) -> float:
    """A number from the environment, at least 0 (the default when unset or not a number)."""
    try:
        value = float(os.environ.get(name, "").strip() or default)
    except ValueError:
        return default
    return max(value, 0.0) if math.isfinite(value) else default


def limits() -> tuple[int, int]:
    """The cap on the entries' size in bytes, and the longest an entry may go unused in ns."""
    return (int(_setting("VAWGBOOK_CACHE_MAX_MB", MAX_MB) * 1e6),
            int(_setting("VAWGBOOK_CACHE_MAX_DAYS", MAX_DAYS) * 86400e9))


def prune() -> tuple[int, int]:
    """Remove entries unused for too long, then the least recently used ones over the size cap.

    Entries this process read or wrote are kept (even over the cap), and so are temporary files
    younger than a day (another process may be writing them). Returns (entries, bytes) removed.
    """
    cap, max_age = limits()
    now = time.time_ns()
    entries = []
    for path, size, used in _files(cache_dir() / TABLES):
        if path.name.endswith(SUFFIX):
            entries.append((used, size, path))
        elif path.name.endswith(".tmp") and now - used > TEMP_SECONDS * 1e9:
            _remove(path)
    total = sum(size for _, size, _ in entries)
    count = freed = 0
    for used, size, path in sorted(entries):  # least recently used first
        if total <= cap and now - used <= max_age:
            break
        if path.name not in _in_use and _remove(path):
            total -= size
            count += 1
            freed += size
    return count, freed


def info() -> dict:
    """Where the cache is, what it holds and its limits (``vawgbook cache info``)."""
    files = _owned()
    used = [mtime for path, _, mtime in files if path.name.endswith(SUFFIX)]
    cap, max_age = limits()
    return {"folder": cache_dir(), "enabled": enabled(), "entries": len(used),
            "bytes": sum(size for _, size, _ in files), "least_recent_ns": min(used, default=None),
            "max_bytes": cap, "max_days": max_age / 86400e9}


def clear() -> tuple[int, int]:
    """Delete every entry (and any half-written one); returns (entries, bytes) removed."""
    count = size = 0
    for path, nbytes, _ in _owned():
        if _remove(path):
            count += path.name.endswith(SUFFIX)
            size += nbytes
    for empty in (cache_dir() / TABLES, cache_dir()):
        try:
            empty.rmdir()
        except OSError:
            pass
    return count, size
