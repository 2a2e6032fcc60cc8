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


# --------------------------------------------------------------------------------------
# What the backbone learned (notebook 03): filters, activation maps, errors
# --------------------------------------------------------------------------------------
def grey_filters(kernel: np.ndarray) -> np.ndarray:
    """First-layer kernels as seen by a grey image: ``(alto, ancho, n)``.

    A ``(kh, kw, canales, n)`` kernel is summed over its input channels: the course feeds
    grey images replicated on the three channels, and a convolution of three equal
    channels equals one convolution with the sum of the three kernels. A 3-D kernel is
    returned as it is.
    """
    kernel = np.asarray(kernel, dtype=np.float64)
    if kernel.ndim == 4:
        return kernel.sum(axis=2)
    if kernel.ndim != 3:
        raise ValueError(f"se esperaba un kernel (alto, ancho, [canales,] filtros), no la forma {kernel.shape}")
    return kernel


def mosaic(tiles: np.ndarray, ncols: int, pad: int = 1) -> np.ndarray:
    """Tiles ``(n, alto, ancho)`` laid out in one 2-D array, ``ncols`` per row.

    Gaps (``pad`` pixels between tiles, and the unused places of the last row) are NaN,
    which ``imshow`` leaves blank: one image instead of one Axes per tile, much cheaper.
    """
    tiles = np.asarray(tiles, dtype=np.float64)
    n, h, w = tiles.shape
    nrows = max(1, int(np.ceil(n / ncols)))
    out = np.full((nrows * (h + pad) - pad, ncols * (w + pad) - pad), np.nan)
    for i, tile in enumerate(tiles):
        r, c = divmod(i, ncols)
        out[r * (h + pad):r * (h + pad) + h, c * (w + pad):c * (w + pad) + w] = tile
    return out


def _blank_nan(cmap: str):  # type: ignore[no-untyped-def]
    """A copy of colour map ``cmap`` that paints NaN (the gaps of a mosaic) white."""
    return plt.get_cmap(cmap).with_extremes(bad="white")


def plot_filters(kernel: np.ndarray, ncols: int = 8, title: str | None = None,
                 size: float = 0.6):  # type: ignore[no-untyped-def]
    """All the filters of a convolution kernel (see :func:`grey_filters`) in one mosaic.

    Each filter is divided by its largest absolute weight, so every filter uses the whole
    symmetric scale (red positive, blue negative, white zero) whatever its size; filter
    ``i`` is the ``i``-th tile, row by row. Returns the Axes.
    """
    filters = grey_filters(kernel)
    scale = np.abs(filters).max(axis=(0, 1))
    tiles = np.moveaxis(filters / np.where(scale > 0, scale, 1.0), -1, 0)
    nrows = max(1, int(np.ceil(len(tiles) / ncols)))
    fig, ax = plt.subplots(figsize=(ncols * size, nrows * size + 0.5))
    ax.imshow(mosaic(tiles, ncols), cmap=_blank_nan("RdBu_r"), vmin=-1, vmax=1)
    ax.axis("off")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return ax


def most_varied_channels(maps: np.ndarray, channels: int) -> np.ndarray:
    """Indices of the ``channels`` channels whose maps vary most across each image.

    ``maps`` is ``(imágenes, alto, ancho, canales)``; a channel's score is the spatial
    standard deviation of its map, averaged over the images. A channel that is the same
    everywhere (for instance, lit by the uniform background) says nothing about *where*
    something is, so it is shown last. Order: from most to least varied.
    """
    maps = np.asarray(maps)
    if maps.ndim != 4:
        raise ValueError(f"se esperaban mapas (imágenes, alto, ancho, canales), no la forma {maps.shape}")
    spread = maps.std(axis=(1, 2)).mean(axis=0)
    return np.argsort(-spread, kind="stable")[:channels]


def plot_activations(images: np.ndarray, activations: dict[str, np.ndarray], channels: int = 6,
                     title: str | None = None, size: float = 1.0) -> np.ndarray:
    """The images (one per row) and, beside them, ``channels`` maps of every layer in ``activations``.

    ``activations`` maps a layer name to its output for ``images``, ``(n, alto, ancho, canales)``.
    One mosaic per layer: row ``i`` holds the maps of image ``i``, and the columns are the
    channels that vary most over the images (:func:`most_varied_channels`, most varied
    first), the same for every row so rows can be compared; one colour scale per layer
    (0 = dark). Returns the array of Axes: the images, then one per layer.
    """
    images = np.asarray(images)
    grey = images[..., 0] if images.ndim == 4 else images
    fig, axes = plt.subplots(1, 1 + len(activations), squeeze=False,
                             figsize=(size * (1 + channels * len(activations)), size * len(images) + 0.6),
                             gridspec_kw={"width_ratios": [1] + [channels] * len(activations)})
    axes = axes[0]
    axes[0].imshow(mosaic(grey, 1), cmap=_blank_nan("gray"))
    axes[0].set_title("imagen", fontsize=8)
    for ax, (name, maps) in zip(axes[1:], activations.items()):
        maps = np.asarray(maps)
        chosen = most_varied_channels(maps, channels)
        tiles = np.moveaxis(maps[..., chosen], -1, 1).reshape(-1, *maps.shape[1:3])
        ax.imshow(mosaic(tiles, len(chosen)), cmap=_blank_nan("viridis"), vmin=0)
        ax.set_title(f"{name} {maps.shape[1]}×{maps.shape[2]}: canales {', '.join(map(str, chosen))}",
                     fontsize=8)
    for ax in axes:
        ax.axis("off")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return axes


def misclassified(y_true: Sequence[int], y_pred: Sequence[int], n: int) -> np.ndarray:
    """Indices of up to ``n`` errors (``y_pred != y_true``), evenly spaced over all the errors.

    Evenly spaced, not the first ``n`` nor hand-picked: a fair sample of the mistakes.
    """
    wrong = np.flatnonzero(np.asarray(y_true) != np.asarray(y_pred))
    if len(wrong) <= n:
        return wrong
    return wrong[np.linspace(0, len(wrong) - 1, n).round().astype(int)]


def plot_misclassified(images: np.ndarray, y_true: Sequence[int], y_pred: Sequence[int],
                       names: Sequence[str], n: int = 12, ncols: int = 6,
                       title: str | None = None, size: float = 1.3) -> np.ndarray:
    """A grid of misclassified images (:func:`misclassified`) titled "real" and "predicha".

    Returns the array of Axes (one empty axis with a message when there is no error).
    """
    chosen = misclassified(y_true, y_pred, n)
    y_true, y_pred, images = np.asarray(y_true), np.asarray(y_pred), np.asarray(images)
    if len(chosen) == 0:
        fig, ax = plt.subplots(figsize=(3, 1))
        ax.axis("off")
        ax.text(0.5, 0.5, "ningún error", ha="center", va="center")
        return np.array([[ax]])
    ncols = min(ncols, len(chosen))
    nrows = int(np.ceil(len(chosen) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * size, nrows * size * 1.35), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, i in zip(axes.flat, chosen):
        ax.imshow(np.squeeze(images[i]), cmap="gray", vmin=0, vmax=1 if images.dtype.kind == "f" else 255)
        ax.set_title(f"real: {names[int(y_true[i])]}\npredicha: {names[int(y_pred[i])]}", fontsize=7)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return axes
