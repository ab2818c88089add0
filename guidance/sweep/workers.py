"""Where a sweep's points run: worker processes on this machine, or Ray tasks (one run per task).

Each worker process keeps one ``Workspace``, so it loads each data set, model and judge once
for all the points it runs.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from guidance.core.errors import ConfigError, GuideError

_WORKSPACES: dict[str | None, Any] = {}  # per worker process and data root: what it has loaded


def run_point(config: dict[str, Any], folder: str, data_dir: str | None, threads: int) -> dict[str, Any]:
    """Run one point into `folder`; never raises for a user error: returns its status and message."""
    import warnings

    warnings.filterwarnings("ignore", category=FutureWarning)  # torch/fastai chatter, once per worker
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    import torch

    from guidance.configs import experiment_from_dict
    from guidance.resolve import Workspace, resolve
    from guidance.runs.execute import execute

    torch.set_num_threads(threads)
    started = time.perf_counter()
    try:
        workspace = _WORKSPACES.setdefault(data_dir, Workspace(data_dir))
        outcome = execute(resolve(experiment_from_dict(config, source=folder), workspace), out=folder)
        status, message = outcome.summary["status"], outcome.summary.get("message", "")
    except GuideError as error:
        status, message = "failed", str(error)
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / "error.txt").write_text(message + "\n")
    import resource

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB
    return {"folder": folder, "status": status, "message": message, "seconds": time.perf_counter() - started,
            "worker": os.getpid(), "peak_rss_mb": round(peak_mb)}


def worker_threads(workers: int) -> int:
    return max(1, (os.cpu_count() or 1) // workers)


def run_local(tasks: list[tuple], workers: int, on_done) -> None:
    if workers == 1:
        for task in tasks:
            on_done(run_point(*task))
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    # 'spawn': fresh interpreters, no torch state forked from the parent
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(run_point, *task) for task in tasks]
        try:
            for future in as_completed(futures):
                on_done(future.result())
        except KeyboardInterrupt:
            pool.shutdown(wait=False, cancel_futures=True)
            raise


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
    remote = ray.remote(num_cpus=1)(run_point)
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
