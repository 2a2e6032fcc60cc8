"""Plots shared by the notebooks. Every function returns its matplotlib ``Axes``."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np


def show_images(images: np.ndarray, labels: Sequence[int] | None = None,
                names: Sequence[str] | None = None, ncols: int = 8, title: str | None = None,
                size: float = 1.3) -> np.ndarray:
    """A grid of grey (or RGB) images with optional class names as titles.

    Returns the array of Axes.
    """
    images = np.asarray(images)
    n = len(images)
    nrows = max(1, int(np.ceil(n / ncols)))
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * size, nrows * size * 1.15), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= n:
            continue
        image = images[i]
        ax.imshow(image if image.ndim == 3 and image.shape[-1] == 3 else np.squeeze(image),
                  cmap="gray", vmin=0, vmax=1 if image.dtype.kind == "f" else 255)
        if labels is not None:
            label = int(labels[i])
            ax.set_title(names[label] if names is not None else str(label), fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return axes


def plot_history(history, metrics: Sequence[str] = ("loss", "accuracy"), title: str | None = None) -> np.ndarray:
    """Training and validation curves of a Keras ``History`` (or its ``.history`` dict)."""
    logs = getattr(history, "history", history)
    fig, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics), 3.5), squeeze=False)
    for ax, metric in zip(axes.flat, metrics):
        for key, style in ((metric, "-o"), (f"val_{metric}", "--o")):
            if key in logs:
                ax.plot(np.arange(1, len(logs[key]) + 1), logs[key], style,
                        label="validación" if key.startswith("val_") else "entrenamiento")
        ax.set_xlabel("época")
        ax.set_ylabel({"loss": "pérdida", "accuracy": "exactitud"}.get(metric, metric))
        ax.legend()
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return axes


def plot_confusion(y_true: Sequence[int], y_pred: Sequence[int], names: Sequence[str],
                   title: str | None = None, normalize: str | None = "true"):
    """Confusion matrix with class names (scikit-learn's ``ConfusionMatrixDisplay``)."""
    from sklearn.metrics import ConfusionMatrixDisplay

    display = ConfusionMatrixDisplay.from_predictions(
        y_true, y_pred, display_labels=list(names), normalize=normalize,
        cmap="Blues", values_format=".2f" if normalize else "d", colorbar=False,
    )
    display.ax_.set_xlabel("predicción")
    display.ax_.set_ylabel("clase real")
    plt.setp(display.ax_.get_xticklabels(), rotation=45, ha="right")
    if title:
        display.ax_.set_title(title)
    display.figure_.tight_layout()
    return display.ax_
