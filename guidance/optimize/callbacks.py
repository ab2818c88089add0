"""Loop callbacks that ship with the kit: JSONL history and a rich live view."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from guidance.optimize.loop import Callback


class JsonlLog(Callback):
    """Append every logged row to metrics.jsonl as it happens (survives a crash or Ctrl-C)."""

    def __init__(self, path: Path):
        self.path = path

    def before_run(self, config, start) -> None:
        self.file = self.path.open("a")

    def after_log(self, record: dict[str, Any]) -> None:
        self.file.write(json.dumps(record) + "\n")
        self.file.flush()

    def after_run(self, result) -> None:
        self.file.close()


class RichProgress(Callback):
    """A progress bar plus one compact line per logged step, drawn with rich."""

    def __init__(self, console, target_name: str):
        self.console = console
        self.target_name = target_name

    def before_run(self, config, start) -> None:
        from guidance.core.progress import progress_bar

        self.progress = progress_bar(f"[bold]{config.experiment}", "p({task.fields[target]}) {task.fields[p]}", self.console)
        self.task = self.progress.add_task("guide", total=config.steps, target=self.target_name, p="-")
        self.progress.start()
        terms = [f"{name:>12}" for name in ("loss", f"p({self.target_name})", "top", "L2", "Linf", "grad")]
        self.console.print(f"[dim]{'step':>6}{''.join(terms)}")

    def after_log(self, record: dict[str, Any]) -> None:
        images = record["images"]
        top = max(set(images["top_class"]), key=images["top_class"].count)
        grad = images["grad_norm"]
        mean = lambda values: sum(values) / len(values)
        cells = [
            f"{record['loss']:12.5g}", f"{record['p_target']:12.4f}", f"{top:>12}",
            f"{mean(images['l2']):12.3f}", f"{mean(images['linf']):12.3f}",
            f"{mean(grad):12.3g}" if grad else f"{'-':>12}",
        ]
        self.console.print(f"{record['step']:6d}{''.join(cells)}", highlight=False)
        self.progress.update(self.task, completed=record["step"], p=f"{record['p_target']:.4f}")

    def after_run(self, result) -> None:
        self.progress.update(self.task, completed=result.steps_done)
        self.progress.stop()


class SamplingProgress(Callback):
    """The sampler's live view: a progress bar plus one line per logged step (x0_hat as the judge reads it)."""

    def __init__(self, console, target_name: str, total: int):
        self.console, self.target_name, self.total = console, target_name, total

    def before_run(self, config, start) -> None:
        from guidance.core.progress import progress_bar

        self.progress = progress_bar(f"[bold]{config.experiment}", "p({task.fields[target]}) {task.fields[p]}", self.console)
        self.task = self.progress.add_task("sample", total=self.total, target=self.target_name, p="-")
        self.progress.start()
        columns = [f"{name:>12}" for name in ("timestep", "noise", f"p({self.target_name})", "top")]
        self.console.print(f"[dim]{'step':>6}{''.join(columns)}   (p and top: the judge on the predicted clean image)")

    def after_log(self, record: dict[str, Any]) -> None:
        tops = record["images"]["top_class"]
        cells = [f"{record['timestep']:12d}", f"{record['noise_level']:12.3f}", f"{record['p_target']:12.4f}",
                 f"{max(set(tops), key=tops.count):>12}"]
        self.console.print(f"{record['step']:6d}{''.join(cells)}", highlight=False)
        self.progress.update(self.task, completed=record["step"], p=f"{record['p_target']:.4f}")

    def after_run(self, result) -> None:
        self.progress.update(self.task, completed=result.steps_done)
        self.progress.stop()
