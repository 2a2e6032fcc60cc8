"""Inert evidence about a student's objects, written from inside the student's kernel.

While autograding, :class:`tlcourse.grader.verdicts.JudgedExecute` runs small *probes* in the
kernel after the graded cells: each calls the student's functions on inputs the grader drew
for this run and hands the result to :func:`record`, which writes it as inert data only:

* JSON for numbers, strings, booleans, ``None``, lists and dicts of those;
* ``.npy`` for arrays (the judge reads them with ``allow_pickle=False``);
* for a Keras model, its JSON config and its weights as ``.npz`` (rebuilt by the judge with
  built-in layers only; no pickle, no custom code).

The judge (:mod:`tlcourse.grader.judging`) decides the points in another process from these files
alone. Nothing here is trusted: code in the kernel may rebind this module or write files of
its own. The judge recomputes every property it can, so forging evidence costs at least as
much as solving the exercise.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any, Callable

import numpy as np

_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,80}$")


def to_plain(value: Any) -> Any:
    """``value`` as JSON-ready Python data (NumPy scalars and arrays become numbers and lists)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float, np.integer, np.floating, np.bool_)):
        number = value.item() if isinstance(value, np.generic) else value
        if isinstance(number, float) and not np.isfinite(number):
            return str(number)
        return number
    if isinstance(value, np.ndarray):
        return to_plain(value.tolist())
    if isinstance(value, dict):
        return {str(key): to_plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(item) for item in value]
    raise TypeError(f"no se puede registrar un valor de tipo {type(value).__name__}")


def _keras_model(value: Any) -> bool:
    return hasattr(value, "to_json") and hasattr(value, "get_weights") and hasattr(value, "layers")


def record(folder: str | os.PathLike, name: str, produce: Callable[[], Any]) -> Path:
    """Call ``produce()`` and write what it returns (or the error it raised) as ``name``.

    Returns the path of the JSON file that describes the evidence.
    """
    if not _NAME.match(name):
        raise ValueError(f"bad evidence name {name!r}")
    folder = Path(folder)
    meta: dict[str, Any]
    try:
        value = produce()
        if _keras_model(value):
            np.savez(folder / f"{name}.weights.npz", *[np.asarray(w) for w in value.get_weights()])
            meta = {"kind": "keras", "config": json.loads(value.to_json())}
        elif isinstance(value, np.ndarray) and value.dtype != object:
            np.save(folder / f"{name}.npy", value, allow_pickle=False)
            meta = {"kind": "array"}
        else:
            meta = {"kind": "json", "value": to_plain(value)}
    except BaseException as error:  # noqa: BLE001  (the student's error is the evidence)
        detail = str(error)[:300]
        meta = {"kind": "error", "error": f"{type(error).__name__}: {detail}" if detail else type(error).__name__}
    path = folder / f"{name}.json"
    path.write_text(json.dumps(meta))
    return path


def save_challenge(folder: str | os.PathLike, arrays: dict[str, np.ndarray]) -> Path:
    """Write the inputs the grader drew for this run (``reto.npz``) for the probes to read."""
    path = Path(folder) / "reto.npz"
    np.savez(path, **{key: np.asarray(value) for key, value in arrays.items()})
    return path


def load_challenge(folder: str | os.PathLike) -> dict[str, np.ndarray]:
    """The inputs of :func:`save_challenge` (no pickle)."""
    with np.load(Path(folder) / "reto.npz", allow_pickle=False) as stored:
        return {key: stored[key] for key in stored.files}


#: Modules whose IPython event callbacks are the kernel's own (matplotlib's inline backend
#: registers one when a notebook first draws): not a sign of tampering.
KERNEL_CALLBACK_MODULES = ("matplotlib_inline", "ipykernel", "IPython", "matplotlib")


def _qualname(obj: Any) -> str:
    target = getattr(obj, "__func__", obj)
    return f"{getattr(target, '__module__', '?')}.{getattr(target, '__qualname__', type(target).__name__)}"


def kernel_state() -> dict[str, Any]:
    """The parts of IPython and the interpreter that decide how later cells run.

    Recorded once before the first cell and once after the last: a change (an input or AST
    transformer, an event hook, a custom exception handler, a replaced ``showtraceback``,
    a trace function) is reported to the instructor. It proves nothing by itself: code in
    the kernel can hide it; the points never depend on it.
    """
    import sys

    from IPython import get_ipython

    shell = get_ipython()
    events = {name: sorted(_qualname(cb) for cb in callbacks
                           if not _qualname(cb).startswith(KERNEL_CALLBACK_MODULES))
              for name, callbacks in shell.events.callbacks.items()}
    return {
        "input_transformers_cleanup": [_qualname(t) for t in shell.input_transformers_cleanup],
        "input_transformers_post": [_qualname(t) for t in shell.input_transformers_post],
        "ast_transformers": [_qualname(t) for t in shell.ast_transformers],
        "events": events,
        "custom_exceptions": [_qualname(e) for e in shell.custom_exceptions],
        "showtraceback": _qualname(shell.showtraceback),
        "run_cell": _qualname(shell.run_cell),
        "trace": _qualname(sys.gettrace()) if sys.gettrace() else None,
        "profile": _qualname(sys.getprofile()) if sys.getprofile() else None,
    }


def table(frame: Any) -> dict[str, Any]:
    """A pandas DataFrame as plain data: column names, dtype names and values (None for NA)."""
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"se esperaba un DataFrame de pandas, no {type(frame).__name__}")
    values = {}
    for column in frame.columns:
        series = frame[column].astype(object)
        values[str(column)] = [None if pd.isna(v) else to_plain(v) for v in series.tolist()]
    return {"columns": [str(c) for c in frame.columns], "dtypes": {str(c): str(t) for c, t in frame.dtypes.items()},
            "values": values}
