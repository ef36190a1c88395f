"""Which code ran, and how it was started: the commit, the command line, the time."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from common.basics.paths import REPO_ROOT, relative

COMMIT_ENV = "PROJECT_COMMIT"  # names the commit of a copy exported without its .git


def now_iso() -> str:
    return datetime.now(UTC).astimezone().isoformat(timespec="seconds")


def stamp() -> str:
    """Sortable, filename-safe timestamp, unique per second."""
    return datetime.now().strftime("%Y%m%d-%H%M%S")


def command_line() -> str:
    """The command as the user typed it (``python -m package.module args``), absolute
    paths made relative to the repository."""
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    head = f"python -m {spec.name}" if spec and spec.name else f"python {sys.argv[0]}"
    return " ".join([head, *(shlex.quote(_portable(arg)) for arg in sys.argv[1:])])


def _portable(arg: str) -> str:
    option, equals, value = arg.rpartition("=") if arg.startswith("--") else ("", "", arg)
    return option + equals + (relative(Path(value)) if os.path.isabs(value) else value)


def git_commit() -> str:
    """HEAD's hash, with ``+dirty`` if tracked files other than run outputs differ from it.

    results/ and saved_models/ are what runs write; changes there do not change the code.
    A copy exported without ``.git`` (a GPU round) says its commit in $PROJECT_COMMIT;
    without it, "unknown" - never the commit of another checkout that encloses the copy.
    """
    if os.environ.get(COMMIT_ENV):
        return os.environ[COMMIT_ENV]

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True,
                              text=True, timeout=10).stdout.strip()
    try:
        top = git("rev-parse", "--show-toplevel")
        if not top or Path(top).resolve() != REPO_ROOT:
            return "unknown"
        commit = git("rev-parse", "--short=12", "HEAD") or "unknown"
        dirty = git("status", "--porcelain", "--untracked-files=no", "--", ".",
                    ":(exclude)results", ":(exclude)saved_models")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return commit + ("+dirty" if dirty else "")
