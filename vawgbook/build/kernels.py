"""Warm kernels: a small pool of long-lived Jupyter kernels that execute a period's pages.

Starting a Python kernel and importing pandas and altair takes seconds, computing a page about
one, so each worker of the pool keeps one kernel and executes page after page in it. Every page is
still a parameterised notebook executed by papermill (through the ``vawgbook-warm`` engine, which
hands papermill's notebook client the already started kernel), and every page starts from the
state a new kernel would have:

- before each page the kernel goes to the page's folder, forgets the project's own modules
  (they are imported afresh by the page, so no module-level state carries over), restores
  ``sys.path``, ``sys.argv``, ``os.environ``, builtins, warning filters (and the warnings already
  shown), pandas options and the user namespace, IPython's output cache and execution counter
  (``InteractiveShell.reset(new_session=True)``);
- third-party modules (pandas, numpy, altair, ...) stay imported: that is the saving;
- after a failing page, a timeout or a kernel that stopped, that worker's kernel is replaced.

No port races: on Linux and macOS kernels talk over IPC sockets in a private temporary folder
(nothing to collide with, even between two builds on one machine); elsewhere (Windows) the
connection file gives port 0 and the kernel binds ports the operating system picks for it, then
writes them back into the file (ipykernel does this), so no port is chosen by one process and
bound by another. A kernel whose process exits, whose heartbeat goes silent, or which makes no
progress while starting is detected within seconds, stopped and replaced.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import re
import shutil
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path

KERNEL = "python3"
ENGINE = "vawgbook-warm"
START_TRIES = 3  # kernels started before a page gives up
# A kernel that makes no progress (no CPU time used, no reply) for this long while starting is hung.
STALL_SECONDS = 10.0
# A kernel's heartbeat is answered by a thread of its own, even while a cell runs: silent this
# long means the kernel is gone or hung.
HEARTBEAT_SILENT_SECONDS = 10.0
# Whatever the progress, a kernel that is not ready after this long is given up on.
START_LIMIT_SECONDS = 300.0
# A cell of the templates takes seconds; one that runs this long is stuck.
CELL_TIMEOUT_SECONDS = 1800
# Modules imported once per kernel. The project's own modules are imported here only for the
# third-party modules they import, and are then forgotten (each page imports them afresh).
PRELOAD = ("numpy", "pandas", "altair", "IPython.display")
PROJECT = __name__.split(".")[0]
PROJECT_PRELOAD = tuple(f"{PROJECT}.publish.{name}" for name in (
    "report", "charts", "variation", "narrative", "findings", "scorecard", "sections", "tables"))
_MAX_IPC_PATH = 90  # Unix socket paths are limited to 104-108 bytes

log = logging.getLogger(__name__)


class KernelError(RuntimeError):
    """A kernel that did not start, stopped, or stopped answering."""


KERNEL_MB = 500  # a warm kernel holds 200-300 MB; the default leaves room for the rest


def default_size() -> int:
    """One kernel per core, as many as the memory available allows."""
    import psutil

    room = int(psutil.virtual_memory().available / (KERNEL_MB * 1e6))
    return max(1, min(os.cpu_count() or 1, room))


def default_transport() -> str:
    """IPC where the platform has it (Linux, macOS); TCP with kernel-chosen ports elsewhere."""
    return "tcp" if sys.platform == "win32" else "ipc"


# What runs inside each kernel (as the module ``_vawgbook_warm``, outside the user namespace).
KERNEL_SIDE = r'''
import builtins, importlib, os, sys, warnings

_state = {}


def _pandas_options():
    pandas = sys.modules.get("pandas")
    if pandas is None:
        return {}
    from pandas._config import config
    values = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for key in list(config._registered_options):
            try:
                values[key] = config.get_option(key)
            except Exception:
                pass
    return values


def _restore_pandas_options(saved):
    if not saved:
        return
    from pandas._config import config
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for key, value in saved.items():
            try:
                if config.get_option(key) != value:
                    config.set_option(key, value)
            except Exception:
                pass


def _forget(project):
    for name in [m for m in sys.modules if m == project or m.startswith(project + ".")]:
        del sys.modules[name]


def _warnings_reset(saved):
    warnings.filters[:] = saved
    warnings.onceregistry.clear() if hasattr(warnings, "onceregistry") else None
    mutated = getattr(warnings, "_filters_mutated", None)
    if mutated is not None:
        mutated()  # every module's record of warnings already shown is cleared on next use
    for module in list(sys.modules.values()):
        registry = getattr(module, "__warningregistry__", None)
        if isinstance(registry, dict):
            registry.clear()


def warm_up(home, preload, project, project_preload):
    shell = get_ipython()
    _state["home"] = home
    _state["project"] = project
    # Names a new kernel's namespace starts with beyond those reset() restores (_, __, ___ from
    # the display hook, __doc__, __spec__, ...).
    _state["user_ns"] = {k: v for k, v in shell.user_ns.items()
                         if k.startswith("__") or k in ("_", "__", "___")}
    _state["path"] = list(sys.path)
    _state["argv"] = list(sys.argv)
    _state["environ"] = dict(os.environ)
    _state["builtins"] = dict(builtins.__dict__)
    for name in preload:
        importlib.import_module(name)
    _state["warnings"] = list(warnings.filters)
    _state["pandas"] = _pandas_options()
    for name in project_preload:
        try:
            importlib.import_module(name)
        except Exception:
            pass  # a page that needs it will say why
    if "altair" in preload:  # the first chart of a kernel compiles altair's schema validator
        try:
            import altair
            altair.Chart().mark_point().to_dict(validate=True)
        except Exception:
            pass
    reset(home)
    # What is imported now lives as long as the kernel: out of the garbage collector's sight,
    # so that the collections between and during pages need not walk it again and again.
    import gc
    gc.collect()
    gc.freeze()


def reset(cwd):
    """Give the next notebook the state of a new kernel (third-party imports apart)."""
    shell = get_ipython()
    os.chdir(cwd)
    _forget(_state["project"])
    sys.path[:] = _state["path"]
    sys.argv[:] = _state["argv"]
    for key in [k for k in os.environ if k not in _state["environ"]]:
        del os.environ[key]
    for key, value in _state["environ"].items():
        if os.environ.get(key) != value:
            os.environ[key] = value
    saved = _state["builtins"]
    for key in [k for k in builtins.__dict__ if k not in saved]:
        del builtins.__dict__[key]
    for key, value in saved.items():
        if builtins.__dict__.get(key, saved) is not value:
            builtins.__dict__[key] = value
    _warnings_reset(_state["warnings"])
    _restore_pandas_options(_state["pandas"])
    # The namespace, the output cache (Out, _), In, the execution counter; and a gc.collect().
    shell.reset(new_session=True)
    shell.user_ns.update(_state["user_ns"])


def leave():
    """Out of the page's folder (on Windows a process's folder cannot be renamed)."""
    os.chdir(_state["home"])
'''


def _install_code(home: str, preload: bool) -> str:
    modules, project_modules = (PRELOAD, PROJECT_PRELOAD) if preload else ((), ())
    return (
        "import sys as _s, types as _t\n"
        "_m = _t.ModuleType('_vawgbook_warm')\n"
        f"exec({KERNEL_SIDE!r}, _m.__dict__)\n"
        "_s.modules['_vawgbook_warm'] = _m\n"
        f"_m.warm_up({home!r}, {modules!r}, {PROJECT!r}, {project_modules!r})\n"
    )


class _Heartbeat(threading.Thread):
    """Pings a kernel's heartbeat socket about once a second and counts the pings in a row that
    went unanswered for a second each (not the time since the last answer: a laptop that slept
    has a kernel that is fine)."""

    def __init__(self, address: str) -> None:
        super().__init__(name="vawgbook-heartbeat", daemon=True)
        self.address = address
        self.missed = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        import zmq

        context = zmq.Context()
        socket = None
        try:
            while not self._stop_event.is_set():
                if socket is None:
                    socket = context.socket(zmq.REQ)
                    socket.linger = 0
                    socket.connect(self.address)
                socket.send(b"ping")
                if socket.poll(1000):
                    socket.recv()
                    self.missed = 0
                    self._stop_event.wait(1.0)
                else:  # a REQ socket without its reply cannot send again
                    self.missed += 1
                    socket.close()
                    socket = None
        finally:
            if socket is not None:
                socket.close()
            context.term()

    def silent_for(self) -> float:
        """Seconds of unanswered pings in a row."""
        return float(self.missed)

    def stop(self) -> None:
        self._stop_event.set()


def _client_class():
    from jupyter_client.asynchronous import AsyncKernelClient

    class WarmKernelClient(AsyncKernelClient):
        """A kernel client whose ``is_alive`` asks the process and heartbeat of its kernel
        (nbclient asks it every second while a cell runs)."""

        warm_kernel = None

        async def is_alive(self) -> bool:  # type: ignore[override]
            return self.warm_kernel is not None and self.warm_kernel.alive()

    return WarmKernelClient


class _ManagerView:
    """What nbclient needs of a kernel manager for a kernel that is already running."""

    has_kernel = True

    def __init__(self, kernel: WarmKernel) -> None:
        self._kernel = kernel

    async def is_alive(self) -> bool:
        return self._kernel.alive()

    async def interrupt_kernel(self) -> None:  # only with interrupt_on_timeout, not used
        if self._kernel.process is not None:
            self._kernel.process.kill()


def _loop():
    """This thread's event loop: the one nbclient's synchronous calls run on (jupyter_core)."""
    import asyncio

    from jupyter_core.utils import ensure_event_loop

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return ensure_event_loop(prefer_selector_loop=True)
    raise RuntimeError("a WarmKernel is used from a thread whose event loop is running; use it "
                       "from a thread of its own (as KernelPool does)")


class WarmKernel:
    """One kernel, started in ``folder`` (private), reused for notebook after notebook.

    Use it from one thread only, the thread that starts it (its sockets belong to that thread's
    event loop), and not one running an event loop of its own: KernelPool's workers are such.
    """

    def __init__(self, folder: Path, name: str = "kernel", kernel_name: str = KERNEL,
                 transport: str | None = None, on_event: Callable[[str], None] | None = None,
                 cwd: str | None = None, preload: bool = True,
                 closing: threading.Event | None = None) -> None:
        self.root = Path(folder)
        self.closing = closing or threading.Event()  # set: give up starting, quietly
        self.preload = preload
        self.name = name
        self.kernel_name = kernel_name
        self.transport = transport or default_transport()
        self.on_event = on_event or (lambda _: None)
        self.home = str(Path(cwd or self.root).resolve())
        self.process = None
        self.client = None
        self.heartbeat: _Heartbeat | None = None
        self.folder: Path | None = None
        self.starts = 0
        self._log = None
        self._pid_cpu: tuple[float, float] | None = None

    # -- state -------------------------------------------------------------------------------
    @property
    def ready(self) -> bool:
        return self.client is not None and self.alive()

    def alive(self) -> bool:
        """The process is running and its heartbeat answered in the last few seconds."""
        if self.process is None or self.process.poll() is not None:
            return False
        return self.heartbeat is None or self.heartbeat.silent_for() < HEARTBEAT_SILENT_SECONDS

    def why_stopped(self) -> str:
        if self.process is None:
            return "not started"
        code = self.process.poll()
        if code is not None:
            return f"its process exited with code {code}{self._log_tail()}"
        if self.heartbeat is not None and self.heartbeat.silent_for() >= HEARTBEAT_SILENT_SECONDS:
            return f"its heartbeat was silent for {self.heartbeat.silent_for():.0f} s"
        return "it stopped answering"

    def _log_tail(self) -> str:
        try:
            text = (self.folder / "kernel.log").read_text("utf-8", errors="replace").strip()
        except (OSError, TypeError):
            return ""
        lines = [line for line in text.splitlines() if line.strip()]
        errors = [line for line in lines if re.search(r"Error|error:", line)]
        last = (errors or lines)[-1:] if lines else []
        return f" ({last[0].strip()[:300]})" if last else ""

    # -- start and stop ----------------------------------------------------------------------
    def start(self, tries: int = START_TRIES) -> None:
        """Start the kernel (replacing any running one), trying again on a failed start."""
        problems = []
        for _ in range(tries):
            self.stop()
            try:
                self._start_once()
                return
            except KernelError as exc:
                if self.closing.is_set():
                    self.stop()
                    raise KernelError("the kernels were stopped") from None
                problems.append(str(exc))
                self.on_event(f"{self.name}: {exc}; starting another")
        self.stop()
        raise KernelError(f"no kernel could be started ({tries} tries): {problems[-1]}")

    def _start_once(self) -> None:
        from jupyter_client.launcher import launch_kernel

        self.starts += 1
        self.folder = Path(tempfile.mkdtemp(prefix=f"k{self.starts}-", dir=self.root))
        transport = self.transport
        ip = str(self.folder / "s")
        if transport == "ipc" and len(ip) + 4 > _MAX_IPC_PATH:
            transport = "tcp"  # a temporary folder too deep for Unix socket paths
        if transport == "tcp":
            ip = "127.0.0.1"
        connection = self.folder / "kernel.json"
        info = {"transport": transport, "ip": ip, "key": uuid.uuid4().hex,
                "signature_scheme": "hmac-sha256", "kernel_name": self.kernel_name,
                "shell_port": 0, "iopub_port": 0, "stdin_port": 0, "control_port": 0, "hb_port": 0}
        fd = os.open(connection, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(info, f)
        command, env = self._command(connection)
        self._log = open(self.folder / "kernel.log", "wb")  # noqa: SIM115 (closed in stop)
        started = time.monotonic()
        try:
            self.process = launch_kernel(command, stdout=self._log, stderr=self._log, env=env,
                                         cwd=self.home)
        except OSError as exc:
            raise KernelError(f"the kernel could not be launched: {exc}") from exc
        self._pid_cpu = None
        # 1. The kernel binds its sockets (ports or IPC paths it picks) and writes them back.
        while True:
            self._check_starting(started, "before binding its sockets")
            ports = self._read_ports(connection)
            if ports is not None:
                break
            time.sleep(0.02)
        address = f"{ports['transport']}://{ports['ip']}"
        sep = ":" if ports["transport"] == "tcp" else "-"
        self.heartbeat = _Heartbeat(f"{address}{sep}{ports['hb_port']}")
        self.heartbeat.start()
        client = _client_class()(connection_file=str(connection))
        client.load_connection_info(ports)
        client.warm_kernel = self
        client.allow_stdin = False
        client.start_channels(shell=True, iopub=True, stdin=False, hb=False, control=False)
        self.client = client
        # 2. It answers (kernel_info), and its output channel is connected.
        _loop().run_until_complete(self._await_ready(started))
        # 3. The imports every page needs, once.
        self.execute_quietly(_install_code(self.home, self.preload), started=started,
                             what="warming up")

    def _command(self, connection: Path) -> tuple[list[str], dict]:
        """The kernelspec's command and environment (as jupyter_client would launch it)."""
        from jupyter_client.kernelspec import KernelSpecManager

        spec = KernelSpecManager().get_kernel_spec(self.kernel_name)
        # As nbclient does: IPython's history in memory, not in a shared SQLite file.
        command = list(spec.argv) + ["--HistoryManager.hist_file=:memory:"]
        if command[0] in {"python", f"python{sys.version_info[0]}",
                          "python{}.{}".format(*sys.version_info[:2])}:
            command[0] = sys.executable
        command = [part.replace("{connection_file}", str(connection))
                   .replace("{resource_dir}", spec.resource_dir) for part in command]
        env = {**os.environ, **spec.env}
        env.pop("PYTHONEXECUTABLE", None)
        return command, env

    def _read_ports(self, connection: Path) -> dict | None:
        try:
            info = json.loads(connection.read_text("utf-8"))
        except (OSError, ValueError):
            return None  # being written
        names = ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")
        if all(int(info.get(name) or 0) > 0 for name in names):
            return info
        return None

    def _progressing(self) -> bool:
        """Whether the kernel used CPU time since the last look (a hung kernel sits idle)."""
        import psutil

        try:
            times = psutil.Process(self.process.pid).cpu_times()
        except (psutil.Error, OSError):
            return False
        used = times.user + times.system
        now = time.monotonic()
        if self._pid_cpu is None or used > self._pid_cpu[0] + 0.01:
            self._pid_cpu = (used, now)
            return True
        return now - self._pid_cpu[1] < STALL_SECONDS

    def _check_starting(self, started: float, when: str) -> None:
        if self.closing.is_set():
            raise KernelError("the kernels were stopped")
        if self.process.poll() is not None:
            raise KernelError(f"the kernel exited with code {self.process.returncode} {when}"
                              f"{self._log_tail()}")
        if self.heartbeat is not None and self.heartbeat.silent_for() >= HEARTBEAT_SILENT_SECONDS:
            raise KernelError(f"the kernel's heartbeat was silent for "
                              f"{self.heartbeat.silent_for():.0f} s {when}")
        if not self._progressing():
            raise KernelError(f"the kernel made no progress for {STALL_SECONDS:.0f} s {when}")
        if time.monotonic() - started > START_LIMIT_SECONDS:
            raise KernelError(f"the kernel was not ready after {START_LIMIT_SECONDS:.0f} s")

    async def _reply(self, msg_id: str, started: float, when: str) -> dict:
        from queue import Empty

        while True:
            try:
                msg = await self.client.shell_channel.get_msg(timeout=0.1)
            except Empty:
                self._check_starting(started, when)
                continue
            if msg["parent_header"].get("msg_id") == msg_id:
                return msg

    async def _await_ready(self, started: float) -> None:
        from queue import Empty

        await self._reply(self.client.kernel_info(), started, "before answering")
        # IOPub is a subscription: ask until a message arrives, so that none is lost later.
        while True:
            msg_id = self.client.kernel_info()
            try:
                await self.client.iopub_channel.get_msg(timeout=0.2)
                break
            except Empty:
                self._check_starting(started, "before its output channel connected")
            await self._reply(msg_id, started, "before answering")

    def execute_quietly(self, code: str, started: float | None = None, what: str = "") -> None:
        """Run ``code`` silently (no history, no counter); KernelError if it fails or the
        kernel stops."""
        started = time.monotonic() if started is None else started

        async def run() -> dict:
            msg_id = self.client.execute(code, silent=True, store_history=False,
                                         allow_stdin=False, stop_on_error=False)
            return await self._reply(msg_id, started, f"while {what}" if what else "")

        reply = _loop().run_until_complete(run())
        content = reply["content"]
        if content.get("status") != "ok":
            raise KernelError(f"{what or 'a command'} failed in the kernel: "
                              f"{content.get('ename')}: {content.get('evalue')}")

    def prepare(self, cwd: str) -> None:
        """Reset the kernel for the next notebook, run in folder ``cwd``."""
        self.execute_quietly(f"__import__('_vawgbook_warm').reset({str(cwd)!r})",
                             what="resetting the kernel")

    def release(self) -> None:
        """Leave the page's folder (the kernel's home is its private folder)."""
        if self.alive():
            self.execute_quietly("__import__('_vawgbook_warm').leave()", what="leaving the folder")

    def stop(self) -> None:
        """Stop the kernel now (it holds nothing worth a polite shutdown)."""
        if self.client is not None:
            try:
                self.client.stop_channels()
            except Exception:  # noqa: BLE001 - a half-started client
                pass
            self.client.warm_kernel = None
            self.client = None
        if self.heartbeat is not None:
            self.heartbeat.stop()
            self.heartbeat = None
        if self.process is not None:
            if self.process.poll() is None:
                self.process.kill()
            try:
                self.process.wait(timeout=10)
            except Exception:  # noqa: BLE001
                pass
            self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None


# -- papermill -------------------------------------------------------------------------------
def _register_engine() -> None:
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.utils import merge_kwargs, remove_args

    class WarmEngine(NBClientEngine):
        """papermill's nbclient engine, executing in a running :class:`WarmKernel`."""

        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None,
                                     stderr_file=None, start_timeout=60, execution_timeout=None,
                                     warm_kernel=None, **kwargs):
            if warm_kernel is None or not warm_kernel.ready:
                raise KernelError("the vawgbook-warm engine needs a started kernel (warm_kernel=)")
            kwargs = remove_args(["input_path", "timeout", "startup_timeout"], **kwargs)
            final = merge_kwargs(kwargs, timeout=execution_timeout, startup_timeout=start_timeout,
                                 kernel_name=kernel_name, log=logging.getLogger("papermill"),
                                 log_output=log_output, stdout_file=stdout_file,
                                 stderr_file=stderr_file)
            client = PapermillNotebookClient(nb_man, km=_ManagerView(warm_kernel), **final)
            client.kc = warm_kernel.client  # papermill's client then neither starts nor stops one
            return client.execute()

    papermill_engines.register(ENGINE, WarmEngine)


_engine_lock = threading.Lock()
_engine_registered = False


def execute_notebook(kernel: WarmKernel, template: str, output: str, parameters: dict,
                     cwd: str) -> None:
    """papermill.execute_notebook in ``kernel``, run in folder ``cwd``: parameters injected, the
    output written, PapermillExecutionError (with the cell) on a failing cell."""
    global _engine_registered
    import papermill

    with _engine_lock:
        if not _engine_registered:
            _register_engine()
            _engine_registered = True
    if not kernel.ready:
        kernel.start()
    try:
        kernel.prepare(cwd)
    except KernelError:
        kernel.start()  # the reset failed or the kernel stopped: a new one, then the page
        kernel.prepare(cwd)
    # coalesce_streams: the kernel sends what is printed in pieces on a timer, so one print()
    # could be stored as one stream output or two depending on the machine's load.
    papermill.execute_notebook(template, output, parameters=parameters, engine_name=ENGINE,
                               kernel_name=kernel.kernel_name, progress_bar=False,
                               log_output=False, request_save_on_cell_execute=False,
                               execution_timeout=CELL_TIMEOUT_SECONDS, warm_kernel=kernel,
                               coalesce_streams=True)
    try:
        kernel.release()
    except KernelError:
        kernel.stop()  # the page is done; the next one gets a new kernel


# -- the pool --------------------------------------------------------------------------------
class KernelPool:
    """``size`` worker threads (default: one per core), each with one warm kernel;
    ``submit(fn, *args)`` runs ``fn(kernel, *args)`` in a worker and returns a Future.

    Kernels start as soon as the pool is made (while the caller computes the period), or with
    ``lazy`` at :meth:`start` or the first :meth:`submit` (``vawgbook publish`` needs none when
    every period is unchanged). After a job fails its worker's kernel is stopped and a new one
    started for the next job. Use as a context manager, or call :meth:`close`.
    """

    def __init__(self, size: int | None = None, echo: Callable[[str], None] | None = None,
                 transport: str | None = None, kernel_name: str = KERNEL,
                 preload: bool = True, lazy: bool = False) -> None:
        self.size = max(1, size or default_size())
        self.preload = preload
        self.echo = echo or (lambda _: None)
        self.transport = transport or default_transport()
        self.kernel_name = kernel_name
        self.folder: Path | None = None
        self._jobs: queue.Queue = queue.Queue()
        self._closed = False
        self._closing = threading.Event()
        self.kernels: list[WarmKernel] = []
        self._threads: list[threading.Thread] = []
        if not lazy:
            self.start()

    def start(self) -> None:
        """Start the workers and their kernels (once)."""
        if self._threads or self._closed:
            return
        # Private: connection files, IPC sockets and logs of this pool only.
        self.folder = Path(tempfile.mkdtemp(prefix="vawgbook-kernels-"))
        for index in range(self.size):
            thread = threading.Thread(target=self._work, args=(index,), daemon=True,
                                      name=f"vawgbook-kernel-{index + 1}")
            self._threads.append(thread)
            thread.start()

    def submit(self, fn: Callable, *args) -> Future:
        if self._closed:
            raise RuntimeError("the kernel pool is closed")
        self.start()
        future: Future = Future()
        self._jobs.put((future, fn, args))
        return future

    def _work(self, index: int) -> None:
        with _loop_guard():
            kernel = WarmKernel(self.folder, name=f"kernel {index + 1}", kernel_name=self.kernel_name,
                                transport=self.transport, on_event=self.echo, preload=self.preload,
                                closing=self._closing)
            self.kernels.append(kernel)
            try:
                try:
                    kernel.start()
                except KernelError:
                    pass  # the first job tries again, and fails with the reason
                while True:
                    item = self._jobs.get()
                    if item is None:
                        break
                    future, fn, args = item
                    if not future.set_running_or_notify_cancel():
                        continue
                    try:
                        result = fn(kernel, *args)
                    except BaseException as exc:  # noqa: BLE001 - handed to the caller
                        if not kernel.alive():
                            exc.kernel_stopped = kernel.why_stopped()  # type: ignore[attr-defined]
                        kernel.stop()  # never let a failed page poison the next one
                        future.set_exception(exc)
                    else:
                        future.set_result(result)
            finally:
                kernel.stop()

    def close(self, now: bool = False) -> None:
        """Stop every kernel and worker; jobs not started are cancelled. ``now``: also stop
        the pages being executed (their kernels are killed)."""
        if self._closed:
            return
        self._closed = True
        if now:
            self._closing.set()  # kernels still starting give up, quietly
        while True:
            try:
                item = self._jobs.get_nowait()
            except queue.Empty:
                break
            if item is not None:
                item[0].cancel()
        for _ in self._threads:
            self._jobs.put(None)
        for attempt in range(2):
            if attempt:
                self._closing.set()
            if now or attempt:  # a worker still in a page: stop its kernel from here
                for kernel in list(self.kernels):
                    process = kernel.process
                    if process is not None and process.poll() is None:
                        process.kill()
            for thread in self._threads:
                thread.join(timeout=5 if now else 60)
            if not any(thread.is_alive() for thread in self._threads):
                break
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> KernelPool:
        return self

    def __exit__(self, kind, value, traceback) -> None:
        self.close(now=kind is not None)


class _loop_guard:
    """Close this thread's event loop when the worker ends."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        try:
            loop = _loop()
            if not loop.is_running():
                loop.close()
        except Exception:  # noqa: BLE001
            pass
