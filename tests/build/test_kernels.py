"""Warm kernels: outputs equal a new kernel's, nothing leaks between pages, no port races,
and a kernel that dies or hangs is found in seconds (timings are for benchmarks, not here)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from vawgbook.build import kernels, notebooks
from vawgbook.build.kernels import KernelError, KernelPool, WarmKernel, execute_notebook
from vawgbook.config import load_registry
from vawgbook.periods import Quarter

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "data" / "sample"
PERIOD = Quarter(2024, 2)


def write_notebook(path: Path, *sources: str, parameters: str = "marker = None") -> Path:
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    params = new_code_cell(parameters)
    params.metadata["tags"] = ["parameters"]
    nb.cells = [new_markdown_cell("# A page"), params, *[new_code_cell(s) for s in sources]]
    nbformat.write(nb, path)
    return path


def _cold(template: str, output: str, parameters: dict, cwd: str, title: str | None) -> None:
    """One page as the runner executed it before: papermill's own engine, a new kernel."""
    import papermill

    papermill.execute_notebook(template, output, parameters=parameters, cwd=cwd,
                               kernel_name="python3", progress_bar=False)
    notebooks._tidy_for_book(Path(output), title)


def test_warm_pages_are_byte_identical_to_pages_from_new_kernels(tmp_path, kernel_pool):
    """The real templates on the sample: every page of a period, then two force pages, in the
    session's warm kernels (each runs page after page, and has run other tests' pages before),
    against each template run in a kernel of its own."""
    project = tmp_path / "project"
    shutil.copytree(REPO / "notebooks", project / "notebooks")
    pool = kernel_pool
    folder = notebooks.run_period(SAMPLE, PERIOD, root=project, echo=lambda _: None,
                                  with_forces=False, pool=pool)
    todo = notebooks.pages(load_registry().pillars, with_forces=True)
    forces = [p for p in todo if p.template == "force_profile"]
    forces = [forces[0], next(p for p in forces if p.name == "force-city-of-london")]
    common = {"results_dir": ".", "registry": None}
    for page in forces:
        pool.submit(notebooks._execute, str(project / "notebooks" / f"{page.template}.ipynb"),
                    str(folder / f"{page.name}.ipynb"), {**common, **dict(page.parameters)},
                    str(folder), page.heading).result()
    ran = [p for p in todo if (folder / f"{p.name}.ipynb").exists()]
    period_pages = notebooks.pages(load_registry().pillars, with_forces=False)
    assert len(ran) == len(period_pages) + 2 and {p.template for p in ran} == set(notebooks.TEMPLATES)
    # Each template once (the first pillar and force), in new kernels as before.
    once = list({p.template: p for p in reversed(ran)}.values())
    cold = tmp_path / "cold"
    cold.mkdir()
    with ProcessPoolExecutor(2) as executor:
        jobs = [executor.submit(_cold, str(project / "notebooks" / f"{p.template}.ipynb"),
                                str(cold / f"{p.name}.ipynb"), {**common, **dict(p.parameters)},
                                str(folder), p.heading) for p in once]
        for job in jobs:
            job.result()
    for page in once:
        warm = (folder / f"{page.name}.ipynb").read_bytes()
        assert warm == (cold / f"{page.name}.ipynb").read_bytes(), page.name
        counts = [c.execution_count for c in nbformat.reads(warm, as_version=4).cells
                  if c.cell_type == "code"]
        assert counts == list(range(1, len(counts) + 1)), page.name


PAGE_A = [
    "leaked = 'from page A'\n1 + 1",
    "import builtins, os, sys, warnings\nimport pandas as pd\nimport vawgbook.config.forces\nimport warner\n"
    "vawgbook.config.forces.LEAKED = True\npd.set_option('display.max_rows', 7)\n"
    "os.environ['VAWGBOOK_LEAKED'] = '1'\nsys.path.append('/leaked')\nsys.argv.append('--leaked')\n"
    "builtins.leaked_builtin = 1\nwarner.warn()\nwarnings.simplefilter('ignore')\n"
    "os.chdir('..')",
]
PAGE_B = [
    "import builtins, os, sys\nassert Out == {} and _ == '' and len(In) == 4, (Out, _, len(In))\n"
    "assert 'leaked' not in globals()",
    "import pandas as pd\nimport vawgbook.config.forces\nimport warner\n"
    "assert not hasattr(vawgbook.config.forces, 'LEAKED')\n"
    "assert pd.get_option('display.max_rows') == 60\n"
    "assert 'VAWGBOOK_LEAKED' not in os.environ and '/leaked' not in sys.path\n"
    "assert '--leaked' not in sys.argv and not hasattr(builtins, 'leaked_builtin')\n"
    "assert os.getcwd() == marker, (os.getcwd(), marker)\n"
    "warner.warn()  # shown again: filters and the record of warnings shown are reset",
]


PROBE = [  # what a page can see of the kernel's state (not sys.argv: it names the connection file)
    "import builtins, os, sys, warnings\nimport pandas as pd\nfrom vawgbook.publish import report",
    "print(sorted(globals()), repr(_), repr(__), Out, len(In), os.getcwd())\nprint(sys.path)\n"
    "print(sorted(set(os.environ) - {'JPY_PARENT_PID'}))\nprint(sorted(builtins.__dict__))\n"
    "print(warnings.filters)\nprint(pd.get_option('display.max_rows'), pd.get_option('display.precision'))",
]


def test_nothing_a_page_leaves_behind_reaches_the_next(tmp_path):
    for name in ("a", "b", "probe"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "warner.py").write_text(
            "import warnings\n\ndef warn():\n    warnings.warn('from warner', UserWarning)\n")
    a = write_notebook(tmp_path / "a.ipynb", *PAGE_A)
    b = write_notebook(tmp_path / "b.ipynb", *PAGE_B)
    probe = write_notebook(tmp_path / "probe.ipynb", *PROBE)
    folder = str(tmp_path / "probe")
    with KernelPool(1) as pool:
        for _ in range(2):  # a then b, twice, in one kernel
            pool.submit(execute_notebook, str(a), str(tmp_path / "a" / "out.ipynb"), {},
                        str(tmp_path / "a")).result()
            pool.submit(execute_notebook, str(b), str(tmp_path / "b" / "out.ipynb"),
                        {"marker": str((tmp_path / "b").resolve())}, str(tmp_path / "b")).result()
        pool.submit(execute_notebook, str(a), str(tmp_path / "a" / "out.ipynb"), {},
                    str(tmp_path / "a")).result()
        pool.submit(execute_notebook, str(probe), str(tmp_path / "warm.ipynb"), {}, folder).result()
        assert pool.kernels[0].starts == 1  # the same kernel throughout
    out = nbformat.read(tmp_path / "b" / "out.ipynb", as_version=4)
    code = [c for c in out.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == [1, 2, 3, 4]
    stderr = [o["text"] for o in code[-1].outputs if o.get("name") == "stderr"]
    assert stderr and "from warner" in stderr[0]
    # The probe sees the same after page a in a warm kernel as in a kernel of its own.
    _cold(str(probe), str(tmp_path / "cold.ipynb"), {}, folder, None)
    warm, cold = (nbformat.read(tmp_path / f"{n}.ipynb", as_version=4).cells[-1].outputs
                  for n in ("warm", "cold"))
    assert warm == cold


def test_a_failing_page_raises_papermills_error_and_its_kernel_is_replaced(tmp_path):
    from papermill.exceptions import PapermillExecutionError

    bad = write_notebook(tmp_path / "bad.ipynb", "x = 1", "raise KeyError('deliberate')")
    good = write_notebook(tmp_path / "good.ipynb", "assert 'x' not in globals()")
    with KernelPool(1, preload=False) as pool:
        with pytest.raises(PapermillExecutionError) as err:
            pool.submit(execute_notebook, str(bad), str(tmp_path / "bad-out.ipynb"), {},
                        str(tmp_path)).result()
        assert err.value.cell_index == 3 and err.value.ename == "KeyError"
        assert "deliberate" in nbformat.read(tmp_path / "bad-out.ipynb", as_version=4).cells[-1] \
            .outputs[0]["evalue"]  # the failed notebook is written, for inspection
        pool.submit(execute_notebook, str(good), str(tmp_path / "good-out.ipynb"), {},
                    str(tmp_path)).result()
        assert pool.kernels[0].starts == 2


START_MANY = """
import sys, tempfile, threading
from pathlib import Path
from vawgbook.build.kernels import WarmKernel

count, transport = int(sys.argv[1]), sys.argv[2]
folder = Path(tempfile.mkdtemp())
problems = []

def one(i):
    kernel = WarmKernel(folder, name=f"kernel {i}", transport=transport, preload=False,
                        on_event=problems.append)
    try:
        kernel.start(tries=1)
        kernel.execute_quietly(f"assert {i} * 7 == {i * 7}")
    except Exception as exc:
        problems.append(repr(exc))
    finally:
        kernel.stop()

threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(problems or "all answered")
"""


@pytest.mark.parametrize("transport", [
    "ipc" if sys.platform != "win32" else "tcp",
    "tcp",  # the Windows way: the kernel binds ports the system gives it and writes them back
])
def test_many_kernels_started_at_once_from_two_processes_all_answer(transport):
    """16 kernels side by side (8 in each of two processes), each on its first try."""
    runs = [subprocess.Popen([sys.executable, "-c", START_MANY, "8", transport],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    for run in runs:
        out, err = run.communicate(timeout=300)
        assert run.returncode == 0, err
        assert out.strip() == "all answered", out


def fake_kernel(monkeypatch, *scripts: str) -> list[int]:
    """Kernels whose process runs ``scripts[i]`` on the i-th start (the last one thereafter);
    the script "kernel" is a real kernel."""
    starts = []
    real = WarmKernel._command

    def command(self, connection):
        script = scripts[min(len(starts), len(scripts) - 1)]
        starts.append(len(starts))
        if script == "kernel":
            return real(self, connection)
        return [sys.executable, "-c", script, str(connection)], dict(os.environ)

    monkeypatch.setattr(WarmKernel, "_command", command)
    return starts


SITS_IN_POLL = "import select\nselect.select([], [], [])"  # alive, idle, never binds
BIND_FAILS = ("import sys\nsys.stderr.write('zmq.error.ZMQError: Address already in use "
              "(addr=tcp://127.0.0.1:50000)\\n')\nsys.exit(1)")
UP_BUT_SILENT = (  # says which sockets it bound, then never answers: the hang of the issue
    "import json, sys, select\nf = sys.argv[1]\ninfo = json.load(open(f))\n"
    "info.update(shell_port=1, iopub_port=2, stdin_port=3, control_port=4, hb_port=5)\n"
    "json.dump(info, open(f, 'w'))\nselect.select([], [], [])")


@pytest.fixture
def quick_limits(monkeypatch):
    monkeypatch.setattr(kernels, "STALL_SECONDS", 2.0)
    monkeypatch.setattr(kernels, "HEARTBEAT_SILENT_SECONDS", 2.0)


@pytest.mark.parametrize(("script", "reason"), [
    (SITS_IN_POLL, "made no progress"),
    (BIND_FAILS, "exited with code 1 before binding its sockets (zmq.error.ZMQError: Address already"),
    (UP_BUT_SILENT, "before answering"),
])
def test_a_kernel_that_dies_or_hangs_while_starting_is_replaced(tmp_path, monkeypatch, quick_limits,
                                                                script, reason):
    starts = fake_kernel(monkeypatch, script, "kernel")
    events = []

    def start_and_use() -> None:  # in a thread of its own, as in the pool
        kernel = WarmKernel(tmp_path, preload=False, on_event=events.append)
        try:
            kernel.start()
            kernel.execute_quietly("assert 1 + 1 == 2")
        finally:
            kernel.stop()

    with ThreadPoolExecutor(1) as thread:
        thread.submit(start_and_use).result()
    assert len(starts) == 2 and len(events) == 1
    assert reason in events[0] and events[0].endswith("; starting another")


def test_a_kernel_that_never_starts_fails_the_page_with_the_reason(tmp_path, monkeypatch, quick_limits):
    fake_kernel(monkeypatch, BIND_FAILS)
    page = write_notebook(tmp_path / "page.ipynb", "1")
    with KernelPool(1) as pool:
        with pytest.raises(KernelError, match=r"no kernel could be started \(3 tries\).*ZMQError"):
            pool.submit(execute_notebook, str(page), str(tmp_path / "out.ipynb"), {},
                        str(tmp_path)).result(timeout=120)


def _run_until_marker(pool: KernelPool, tmp_path: Path, source: str):
    page = write_notebook(tmp_path / "slow.ipynb", f"open('started', 'w').close()\n{source}")
    job = pool.submit(execute_notebook, str(page), str(tmp_path / "out.ipynb"), {}, str(tmp_path))
    deadline = time.monotonic() + 120
    while not (tmp_path / "started").exists():
        assert time.monotonic() < deadline and not job.done(), job.exception() if job.done() else ""
        time.sleep(0.05)
    return job


def _next_page_runs(pool: KernelPool, tmp_path: Path) -> None:
    page = write_notebook(tmp_path / "next.ipynb", "assert 6 * 7 == 42")
    pool.submit(execute_notebook, str(page), str(tmp_path / "next-out.ipynb"), {},
                str(tmp_path)).result(timeout=120)


def test_a_kernel_killed_during_a_page_fails_that_page_at_once(tmp_path):
    from nbclient.exceptions import DeadKernelError

    with KernelPool(1, preload=False) as pool:
        job = _run_until_marker(pool, tmp_path, "import time\ntime.sleep(120)")
        pool.kernels[0].process.kill()  # as the out-of-memory killer would
        with pytest.raises(DeadKernelError) as err:
            job.result(timeout=30)
        assert "exited with code" in err.value.kernel_stopped
        _next_page_runs(pool, tmp_path)


@pytest.mark.skipif(not hasattr(signal, "SIGSTOP"), reason="needs SIGSTOP")
def test_a_kernel_that_stops_answering_during_a_page_is_found_by_its_heartbeat(tmp_path, quick_limits):
    from nbclient.exceptions import DeadKernelError

    with KernelPool(1, preload=False) as pool:
        job = _run_until_marker(pool, tmp_path, "import time\ntime.sleep(120)")
        os.kill(pool.kernels[0].process.pid, signal.SIGSTOP)  # frozen: no heartbeat, no exit
        with pytest.raises(DeadKernelError) as err:
            job.result(timeout=30)
        assert "heartbeat was silent" in err.value.kernel_stopped
        _next_page_runs(pool, tmp_path)


def test_a_cell_that_runs_too_long_fails_its_page_and_the_kernel_is_replaced(tmp_path, monkeypatch):
    from nbclient.exceptions import CellTimeoutError

    monkeypatch.setattr(kernels, "CELL_TIMEOUT_SECONDS", 2)
    with KernelPool(1, preload=False) as pool:
        job = _run_until_marker(pool, tmp_path, "import time\ntime.sleep(120)")
        with pytest.raises(CellTimeoutError):
            job.result(timeout=60)
        _next_page_runs(pool, tmp_path)
        assert pool.kernels[0].starts == 2
