"""Look at a model through public APIs (notebook 03): time per epoch, weight snapshots, output kinds.

Nothing here answers an exercise: these helpers let the notebook and its tests look at a
model through public APIs (``weights``, predictions, wall-clock time per epoch).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

PROBABILITIES = "probabilidades"
LOGITS = "logits"


def _tf():  # type: ignore[no-untyped-def]
    from tlcourse._env import import_tensorflow_quietly

    return import_tensorflow_quietly()


def epoch_timer():  # type: ignore[no-untyped-def]
    """A Keras callback whose ``seconds`` lists the wall-clock time of every epoch."""
    tf = _tf()

    class EpochTimer(tf.keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.seconds: list[float] = []
            self._start = 0.0

        def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
            self._start = time.perf_counter()

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            self.seconds.append(time.perf_counter() - self._start)

    return EpochTimer()


def seconds_per_epoch(model: Any, x: np.ndarray, y: np.ndarray, epochs: int = 10,
                      batch_size: int = 16) -> float:
    """Wall-clock seconds of one training epoch of a compiled ``model``: the fastest epoch.

    The first epoch (which traces the training function) is left out, and the minimum of
    the others is taken, as ``timeit`` recommends: other processes can only slow an epoch
    down, never speed it up. ``model`` is trained for ``epochs`` epochs: pass a copy if its
    weights matter.
    """
    timer = epoch_timer()
    model.fit(x, y, epochs=epochs, batch_size=batch_size, verbose=0, callbacks=[timer])
    return float(np.min(timer.seconds[1:] if len(timer.seconds) > 1 else timer.seconds))


def snapshot(obj: Any) -> list[np.ndarray]:
    """Copies of every variable of a layer or model (trainable or not: BN statistics too)."""
    return [np.array(w.numpy(), copy=True) for w in obj.weights]


def unchanged(before: list[np.ndarray], after: list[np.ndarray]) -> bool:
    """Whether two snapshots hold exactly the same values."""
    return len(before) == len(after) and all(np.array_equal(a, b) for a, b in zip(before, after))


def hub_layers(model: Any) -> list[Any]:
    """Every ``hub.KerasLayer`` inside ``model`` (at any depth), or ``model`` itself if it is one."""
    import tensorflow_hub as hub

    if isinstance(model, hub.KerasLayer):
        return [model]
    found = []
    for module in getattr(model, "submodules", ()):
        if isinstance(module, hub.KerasLayer) and all(module is not f for f in found):
            found.append(module)
    return found


def output_kind(outputs: Any, atol: float = 1e-4) -> str | None:
    """``"probabilidades"`` (rows >= 0 summing to 1), ``"logits"`` (some values below 0
    and some above 1) or ``None`` (neither: e.g. a sigmoid or ReLU output)."""
    values = np.asarray(outputs, dtype=np.float64)
    if values.ndim != 2 or not np.all(np.isfinite(values)):
        return None
    if values.min() >= -atol and np.allclose(values.sum(axis=1), 1.0, atol=atol):
        return PROBABILITIES
    if values.min() < 0 and values.max() > 1:
        return LOGITS
    return None


def reference_loss(outputs: Any, labels: Any, kind: str) -> float:
    """Mean cross-entropy of integer ``labels`` for probabilities or logits (NumPy, float64)."""
    values = np.asarray(outputs, dtype=np.float64)
    if kind == LOGITS:
        values = values - values.max(axis=1, keepdims=True)
        log_p = values - np.log(np.exp(values).sum(axis=1, keepdims=True))
    else:
        log_p = np.log(np.clip(values, 1e-7, 1.0))
    return float(-np.mean(log_p[np.arange(len(values)), np.asarray(labels, dtype=int)]))

