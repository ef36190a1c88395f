"""Which code ran: the commit of the checkout the code is in, or of an exported copy (a GPU
round) as $PROJECT_COMMIT says; never the commit of some other checkout around it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from common.basics.paths import REPO_ROOT

ASK = "from common.basics.provenance import git_commit; print(git_commit())"


def _commit_seen_by(copy: Path, **env: str) -> str:
    done = subprocess.run([sys.executable, "-c", ASK], cwd=copy, capture_output=True,
                          text=True, timeout=60,
                          env={**{k: v for k, v in os.environ.items()
                                  if k != "PROJECT_COMMIT"}, **env})
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_an_exported_copy_inside_another_checkout_does_not_take_its_commit(
        tmp_path: Path) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
                       cwd=tmp_path, check=True, capture_output=True)
    git("init", "-q")
    (tmp_path / "other.txt").write_text("another project\n")
    git("add", ".")
    git("commit", "-qm", "the enclosing checkout")
    copy = tmp_path / "export"  # the project's code, exported without its .git
    shutil.copytree(REPO_ROOT / "common", copy / "common",
                    ignore=shutil.ignore_patterns("__pycache__"))
    assert _commit_seen_by(copy) == "unknown"
    assert _commit_seen_by(copy, PROJECT_COMMIT="1743f1ae0daf") == "1743f1ae0daf"


def test_absolute_paths_in_the_command_line_are_recorded_relative(tmp_path: Path) -> None:
    code = ("import sys; from common.basics.provenance import command_line; "
            f"sys.argv = ['x', '--data', {str(tmp_path / 'd.npz')!r}, "
            f"'--model-dir={REPO_ROOT / 'saved_models'}', '--seed', '3']; print(command_line())")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=60)
    line = done.stdout.strip()
    assert not any(part.lstrip("-").split("=")[-1].startswith("/") for part in line.split())
    assert line.endswith(
        f"--data {os.path.relpath(tmp_path / 'd.npz', REPO_ROOT)} "
        "--model-dir=saved_models --seed 3"), line
