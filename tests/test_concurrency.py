"""Two commands that need the same missing model at once: both succeed, and it is trained once."""

import os
import subprocess
import sys


def test_two_processes_train_one_missing_model_once(tmp_path):
    home = tmp_path / "home"
    env = {**os.environ, "GUIDE_HOME": str(home), "GUIDE_OFFLINE": "1", "COLUMNS": "120"}
    env.pop("GUIDE_DATA", None)  # the embedded sample: quick to train on
    command = [sys.executable, "-m", "guidance", "train", "--preset", "standard", "--epochs", "1", "--train-limit", "1000"]
    processes = [subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                 for _ in range(2)]
    outputs = [process.communicate(timeout=300)[0] for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs
    folders = [path for path in (home / "models").iterdir() if not path.name.startswith(".")]
    assert len(folders) == 1, folders  # one model folder, no half-written staging folder
    assert sum("already trained with this config" in output for output in outputs) == 1, outputs
