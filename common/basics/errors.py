"""Errors a user can fix, and the one place that turns them into a clean exit."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable


class UserError(Exception):
    """Something the user can fix (missing data, bad option, unreadable file).

    Entry points print its message as one line and exit non-zero, without a traceback.
    """

    # Leave at once, skipping interpreter shutdown: a multi-process JAX run's shutdown
    # waits for its lost peer (common.models.devices.PeerLost).
    exit_at_once = False


class DataError(UserError):
    """The dataset could not be found or is malformed."""


class ModelFileError(UserError):
    """A saved model is missing, unreadable or of the wrong experiment."""


def exit_on_user_error(main: Callable[[], object]) -> None:
    """Run ``main``; report a UserError as ``error: ...`` on stderr and exit with 2."""
    try:
        main()
    except UserError as err:
        print(f"error: {err}", file=sys.stderr)
        if err.exit_at_once:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(2)
        sys.exit(2)
    except KeyboardInterrupt:
        print("\ninterrupted: rerun the same command to resume from the last completed epoch",
              file=sys.stderr)
        sys.exit(130)
