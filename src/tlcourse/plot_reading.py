"""Check a plot through its Axes: what it *draws* (data points, horizontal reference lines,
text labels), never its pixels. Graded test cells of notebook 01 use these helpers.
"""

from __future__ import annotations

import numpy as np


def fresh_plot(function, *args, **kwargs):  # type: ignore[no-untyped-def]
    """Close every open figure, then call a student's plotting function quietly.

    A new figure each time keeps one call's artists out of the next (pyplot-style answers
    draw on the current figure). Warnings such as matplotlib's "No artists with labels
    found to put in legend" are ignored during the call: they would reach stderr, and a
    test cell with stderr output scores zero, yet they say nothing about correctness.
    """
    import warnings

    import matplotlib.pyplot as plt

    plt.close("all")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return function(*args, **kwargs)


def _is_horizontal(xy: np.ndarray) -> bool:
    xy = xy[np.isfinite(xy).all(axis=1)]
    return len(xy) >= 2 and np.ptp(xy[:, 1]) == 0 and np.ptp(xy[:, 0]) > 0


def horizontal_lines(ax) -> list[float]:  # type: ignore[no-untyped-def]
    """y of every horizontal line: ``axhline``, ``hlines`` and constant ``plot`` lines."""
    from matplotlib.collections import LineCollection

    found = []
    for line in ax.lines:
        xy = np.asarray(line.get_xydata(), dtype=float)
        if _is_horizontal(xy):
            found.append(float(xy[np.isfinite(xy).all(axis=1)][0, 1]))
    for collection in ax.collections:
        if isinstance(collection, LineCollection):
            for segment in collection.get_segments():
                xy = np.asarray(segment, dtype=float)
                if _is_horizontal(xy):
                    found.append(float(xy[0, 1]))
    return found


def data_points(ax) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Every finite (x, y) point drawn by ``plot``/``scatter`` (horizontal lines excluded)."""
    from matplotlib.collections import LineCollection

    chunks = []
    for line in ax.lines:
        xy = np.asarray(line.get_xydata(), dtype=float).reshape(-1, 2)
        if not _is_horizontal(xy):
            chunks.append(xy)
    for collection in ax.collections:
        if isinstance(collection, LineCollection):
            continue
        offsets = np.ma.filled(np.ma.asarray(collection.get_offsets(), dtype=float), np.nan)
        chunks.append(offsets.reshape(-1, 2))
    if not chunks:
        return np.empty((0, 2))
    points = np.concatenate(chunks)
    return points[np.isfinite(points).all(axis=1)]


def same_points(drawn: np.ndarray, expected, rtol: float = 1e-3) -> bool:  # type: ignore[no-untyped-def]
    """True if the drawn points and the expected ones are the same set (duplicates ignored)."""
    drawn = np.asarray(drawn, dtype=float).reshape(-1, 2)
    expected = np.asarray(expected, dtype=float).reshape(-1, 2)

    def covered(points, by):  # type: ignore[no-untyped-def]
        return all(np.isclose(by, p, rtol=rtol, atol=1e-9).all(axis=1).any() for p in points)

    return len(drawn) > 0 and covered(expected, drawn) and covered(drawn, expected)


def texts(ax) -> list[str]:  # type: ignore[no-untyped-def]
    """The strings of ``ax.text`` and ``ax.annotate`` labels."""
    return [text.get_text() for text in ax.texts]


def unlabelled(ax, names) -> list[str]:  # type: ignore[no-untyped-def]
    """The names in ``names`` that no text label of ``ax`` contains (empty list: all labelled)."""
    labels = texts(ax)
    return [name for name in names if not any(str(name) in label for label in labels)]
