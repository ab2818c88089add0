"""Where a sweep's points run: worker processes on this machine, or Ray tasks (one run per task).

Each worker process keeps one ``Workspace``, so it loads each data set, model and judge once
for all the points it runs.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

from guidance.core.errors import ConfigError, GuideError

RAY_RETRIES = 3  # a Ray task whose worker process dies is retried, from its point's last checkpoint
_WORKSPACES: dict[str | None, Any] = {}  # per worker process and data root: what it has loaded


def run_point(config: dict[str, Any], folder: str, data_dir: str | None, threads: int) -> dict[str, Any]:
    """Run one point into `folder`; never raises for a user error: returns its status and message."""
    import warnings

    warnings.filterwarnings("ignore", category=FutureWarning)  # torch/fastai chatter, once per worker
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    import torch

    from guidance.configs import experiment_from_dict
    from guidance.resolve import Workspace, resolve
    from guidance.runs.execute import execute, resume_run
    from guidance.runs.folders import CHECKPOINT

    caller_threads = torch.get_num_threads()  # a point run in the caller's own process leaves it as it was
    torch.set_num_threads(threads)
    started = time.perf_counter()
    try:
        workspace = _WORKSPACES.setdefault(data_dir, Workspace(data_dir))
        if (Path(folder) / CHECKPOINT).is_file() and not (Path(folder) / "summary.json").is_file():
            (Path(folder) / "error.txt").unlink(missing_ok=True)
            outcome = resume_run(folder, workspace)  # its last worker died (or Ray retries it): go on from there
        else:
            shutil.rmtree(folder, ignore_errors=True)  # what a failed point left is not a result
            outcome = execute(resolve(experiment_from_dict(config, source=folder), workspace), out=folder)
        status, message = outcome.summary["status"], outcome.summary.get("message", "")
    except GuideError as error:
        status, message = "failed", str(error)
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / "error.txt").write_text(message + "\n")
    finally:
        torch.set_num_threads(caller_threads)
    import resource

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB
    return {"folder": folder, "status": status, "message": message, "seconds": time.perf_counter() - started,
            "worker": os.getpid(), "peak_rss_mb": round(peak_mb)}


def worker_threads(workers: int) -> int:
    return max(1, (os.cpu_count() or 1) // workers)


def _worker_main(connection) -> None:
    """A local worker: run the points the parent sends, one at a time, until it sends None."""
    while (task := connection.recv()) is not None:
        connection.send(run_point(*task))


def died(task: tuple, process) -> dict[str, Any]:
    """The report of a point whose worker process died under it (killed, or out of memory); its error.txt says so."""
    code = process.exitcode
    how = f"killed by signal {-code}" if code is not None and code < 0 else f"exit code {code}"
    message = (f"the worker process running this point died ({how}: SIGKILL, out of memory, ...); "
               "run the sweep again to go on from its last checkpoint")
    folder = Path(task[1])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "error.txt").write_text(message + "\n")
    return {"folder": task[1], "status": "failed", "message": message, "seconds": 0.0, "worker": process.pid,
            "peak_rss_mb": 0}


def run_local(tasks: list[tuple], workers: int, on_done) -> None:
    """Run the tasks on `workers` processes; a worker that dies fails its point alone and is replaced."""
    if workers == 1:
        for task in tasks:
            on_done(run_point(*task))
        return
    import multiprocessing
    from multiprocessing.connection import wait

    context = multiprocessing.get_context("spawn")  # fresh interpreters, no torch state forked from the parent
    queue = list(reversed(tasks))
    busy: dict[Any, tuple] = {}  # connection -> (process, task)

    def start(task: tuple) -> None:
        parent, child = context.Pipe()
        process = context.Process(target=_worker_main, args=(child,), daemon=True)
        process.start()
        child.close()
        parent.send(task)
        busy[parent] = (process, task)

    def next_task(connection) -> None:
        process, _ = busy.pop(connection)
        if not queue:
            connection.send(None)
            process.join()
            return
        task = queue.pop()
        try:
            connection.send(task)
            busy[connection] = (process, task)
        except OSError:  # it died just after reporting: a fresh worker takes the task
            start(task)

    try:
        for _ in range(min(workers, len(queue))):
            start(queue.pop())
        while busy:
            sentinels = {process.sentinel: connection for connection, (process, _) in busy.items()}
            for ready in wait([*busy, *sentinels]):
                connection = sentinels.get(ready, ready)
                if connection not in busy:
                    continue  # its result and its exit both woke this wait
                process, task = busy[connection]
                try:
                    report = connection.recv()
                except (EOFError, OSError):  # the worker died mid-point
                    process.join()
                    busy.pop(connection)
                    on_done(died(task, process))
                    if queue:
                        start(queue.pop())
                    continue
                on_done(report)
                next_task(connection)
    finally:
        for process, _ in busy.values():
            process.kill()


def require_ray() -> None:
    try:
        import ray  # noqa: F401
    except ImportError:
        raise ConfigError("--ray needs Ray: pip install 'guidance-kit[ray]'") from None


def check_reachable(address: str, timeout: float = 3.0) -> None:
    """Fail in seconds on an address nothing answers at (Ray itself retries for minutes)."""
    import socket

    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise ConfigError(f"cannot reach a Ray cluster at {address}: give it as HOST:PORT (or ray://HOST:PORT)")
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except OSError as error:
        raise ConfigError(f"cannot reach a Ray cluster at {address} ({error.strerror or error})") from None


def run_ray(tasks: list[tuple], workers: int, address: str | None, on_done) -> None:
    import ray

    try:
        if address:
            ray.init(address=address, log_to_driver=False, ignore_reinit_error=True)
        else:  # a local instance on the loopback interface only
            ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False, ignore_reinit_error=True,
                     _node_ip_address="127.0.0.1")
    except (ConnectionError, RuntimeError, ValueError, TimeoutError) as error:
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise ConfigError(f"cannot reach a Ray cluster at {address or 'a new local instance'} ({first})") from None
    remote = ray.remote(num_cpus=1, max_retries=RAY_RETRIES)(run_point)  # a dead worker's point runs again
    pending = [remote.remote(*task) for task in tasks]
    try:
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            on_done(ray.get(done[0]))
    except KeyboardInterrupt:
        for ref in pending:
            ray.cancel(ref, force=True)
        raise
    finally:
        ray.shutdown()
