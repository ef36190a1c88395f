"""Command-line options made from dataclasses: each field with a ``help`` in its metadata
becomes an option whose default is the field's value, declared once with its explanation
(``Settings`` and ``RunOptions`` for training, ``TestOptions`` for testing)."""

from __future__ import annotations

import argparse
import functools
import math
import sys
from collections.abc import Callable
from dataclasses import fields, replace


def name_of(choice: str | Callable) -> str:
    """How options and records name a registered or supplied choice (an optimizer, a
    schedule): its name, or the importable name of a callable."""
    if isinstance(choice, str):
        return choice
    if isinstance(choice, functools.partial):
        args = [*map(repr, choice.args), *(f"{k}={v!r}" for k, v in choice.keywords.items())]
        return f"{name_of(choice.func)}({', '.join(args)})"
    if choice.__module__.startswith("keras."):  # keras.src.optimizers.sgd.SGD -> SGD
        return choice.__qualname__
    module = choice.__module__
    if module == "__main__":  # python -m experiments.x.train: name it as it is imported
        spec = getattr(sys.modules["__main__"], "__spec__", None)
        module = spec.name if spec is not None else module
    return f"{module}.{choice.__qualname__}"



def _number(accept: Callable[[float], bool], wording: str,
            kind: type = float) -> Callable[[str], float]:
    """An argparse type: a ``kind`` number that ``accept`` allows, else "must be <wording>"."""
    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            value = math.nan  # refused below: nan fails every comparison
        if not accept(value):
            raise argparse.ArgumentTypeError(f"must be {wording}, got {text!r}")
        return value
    return parse


positive_int = _number(lambda v: v >= 1, "a positive integer", int)
positive_float = _number(lambda v: 0 < v < math.inf, "a positive number")
non_negative_float = _number(lambda v: 0 <= v < math.inf, "a number of at least 0")
fraction = _number(lambda v: 0 <= v < 1, "at least 0 and below 1")
open_fraction = _number(lambda v: 0 < v < 1, "between 0 and 1")


# Field metadata an option is made from (argparse's own, and our ``flag``); a field's other
# metadata is for other readers (``common.config.settings.about``)
_ARGPARSE = ("help", "flag", "type", "choices", "action", "metavar", "nargs", "const")


def option(help: str, **argparse_kwargs: object) -> dict:
    """Field metadata that makes the field a command-line option."""
    return {"help": help, **argparse_kwargs}


def add_options(parser: argparse.ArgumentParser, defaults: object,
                context: dict[str, str] | None = None) -> None:
    """One option per field of the dataclass ``defaults`` that has a help text; ``{key}``
    in a help text is filled from ``context``."""
    for f in fields(defaults):
        if "help" not in f.metadata:
            continue
        meta = {k: v for k, v in f.metadata.items() if k in _ARGPARSE}  # the rest: other notes
        flag = meta.pop("flag", "--" + f.name.replace("_", "-"))
        default = getattr(defaults, f.name)
        if "choices" in meta:  # names; a recipe's own callable joins them under its name
            meta["choices"] = sorted({*meta["choices"], name_of(default)})
            default = name_of(default)
        if meta["help"] is not argparse.SUPPRESS:
            meta["help"] = meta["help"].format_map(context or {})
            if meta.get("action") != "store_true" and default is not None:
                meta["help"] += " (default %(default)s)"
        parser.add_argument(flag, dest=f.name, default=default, **meta)


def from_args(defaults: object, args: argparse.Namespace) -> object:
    """``defaults`` with the parsed options; a recipe's own callable comes back by name."""
    changes = {}
    for f in fields(defaults):
        if "help" in f.metadata:
            value, default = getattr(args, f.name), getattr(defaults, f.name)
            supplied = callable(default) and value == name_of(default)
            changes[f.name] = default if supplied else value
    return replace(defaults, **changes)


def auto_or_positive_int(text: str) -> str:
    """An argparse type: 'auto', or a positive integer (kept as text)."""
    if text == "auto" or (text.isdigit() and int(text) >= 1):
        return text
    raise argparse.ArgumentTypeError(f"expected 'auto' or a positive integer, got {text!r}")
