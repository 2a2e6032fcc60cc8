"""Fast unit tests of tlcourse.plots (matplotlib Agg, synthetic arrays, no TensorFlow)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from tlcourse import plots  # noqa: E402

NAMES = ["sandalia", "camisa", "zapatilla", "bolso", "botín"]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _correlate_at(image: np.ndarray, kernel: np.ndarray, row: int, col: int) -> float:
    """What a 'valid' convolution layer computes at one position (cross-correlation)."""
    kh, kw = kernel.shape[:2]
    patch = image[row:row + kh, col:col + kw]
    return float(np.sum(patch * kernel))


def test_grey_filters_equal_the_kernel_seen_by_a_replicated_grey_image():
    rng = np.random.default_rng(0)
    kernel = rng.normal(size=(3, 3, 3, 4))
    grey = rng.random((6, 6))
    rgb = np.repeat(grey[..., None], 3, axis=-1)
    filters = plots.grey_filters(kernel)
    assert filters.shape == (3, 3, 4)
    for f in range(4):
        for row, col in ((0, 0), (2, 3), (3, 1)):
            assert np.isclose(_correlate_at(grey, filters[..., f], row, col),
                              _correlate_at(rgb, kernel[..., f], row, col))


def test_grey_filters_keep_a_3d_kernel_and_reject_other_shapes():
    kernel = np.arange(18.0).reshape(3, 3, 2)
    assert np.array_equal(plots.grey_filters(kernel), kernel)
    with pytest.raises(ValueError, match="kernel"):
        plots.grey_filters(np.zeros((3, 3)))


def test_mosaic_lays_tiles_out_row_by_row_with_blank_gaps():
    tiles = np.arange(5 * 2 * 3, dtype=float).reshape(5, 2, 3)
    out = plots.mosaic(tiles, ncols=2, pad=1)
    assert out.shape == (3 * 2 + 2, 2 * 3 + 1)
    assert np.array_equal(out[0:2, 0:3], tiles[0]) and np.array_equal(out[0:2, 4:7], tiles[1])
    assert np.array_equal(out[6:8, 0:3], tiles[4])
    assert np.all(np.isnan(out[2])) and np.all(np.isnan(out[:, 3])) and np.all(np.isnan(out[6:8, 4:7]))


def test_plot_filters_shows_every_filter_on_its_own_symmetric_scale():
    kernel = np.random.default_rng(1).normal(size=(3, 3, 3, 10))
    ax = plots.plot_filters(kernel, ncols=4, title="filtros")
    shown = np.asarray(ax.images[0].get_array().filled(np.nan))
    assert ax.images[0].get_clim() == (-1, 1)
    filters = plots.grey_filters(kernel)
    for i in range(10):
        r, c = divmod(i, 4)
        tile = shown[r * 4:r * 4 + 3, c * 4:c * 4 + 3]
        assert np.allclose(tile, filters[..., i] / np.abs(filters[..., i]).max())
        assert np.isclose(np.abs(tile).max(), 1.0)


def test_most_varied_channels_orders_by_spatial_spread_not_by_level():
    maps = np.zeros((2, 4, 4, 5))
    maps[..., 0] = 9.0                       # bright but uniform: tells nothing about where
    for channel, contrast in ((1, 3.0), (3, 2.0), (4, 1.0), (2, 0.5)):
        maps[:, :2, :, channel] = contrast   # top half lit, bottom half dark
    assert list(plots.most_varied_channels(maps, 3)) == [1, 3, 4]
    assert plots.most_varied_channels(maps, 5)[-1] == 0
    with pytest.raises(ValueError, match="mapas"):
        plots.most_varied_channels(np.zeros((4, 4, 5)), 2)


def test_plot_activations_shows_each_image_and_the_same_channels_in_every_row():
    rng = np.random.default_rng(2)
    images = rng.random((3, 8, 8, 3)).astype(np.float32)
    early = rng.random((3, 8, 8, 6))
    early[..., 4] *= 5                       # the most varied channel of the first layer
    late = rng.random((3, 2, 2, 4))
    axes = plots.plot_activations(images, {"block1": early, "block3": late}, channels=2)
    assert len(axes) == 3
    pictures = [np.asarray(ax.images[0].get_array().filled(np.nan)) for ax in axes]
    first = int(plots.most_varied_channels(early, 2)[1])
    assert "block1" in axes[1].get_title() and "canales 4, " in axes[1].get_title()
    for row in range(3):
        assert np.allclose(pictures[0][row * 9:row * 9 + 8], images[row, ..., 0])
        assert np.allclose(pictures[1][row * 9:row * 9 + 8, 0:8], early[row, ..., 4])
        assert np.allclose(pictures[1][row * 9:row * 9 + 8, 9:17], early[row, ..., first])
        assert pictures[2].shape == (3 * 3 - 1, 2 * 3 - 1)


def test_misclassified_samples_only_errors_evenly():
    y_true = np.zeros(100, int)
    y_pred = np.zeros(100, int)
    y_pred[::5] = 1                          # 20 errors at 0, 5, ..., 95
    chosen = plots.misclassified(y_true, y_pred, 5)
    assert len(chosen) == 5 and np.all(y_pred[chosen] != y_true[chosen])
    assert chosen[0] == 0 and chosen[-1] == 95 and np.all(np.diff(chosen) > 0)
    assert list(plots.misclassified(y_true, y_pred, 50)) == list(range(0, 100, 5))
    assert len(plots.misclassified(y_true, y_true, 5)) == 0


def test_plot_misclassified_titles_name_the_true_and_predicted_classes():
    rng = np.random.default_rng(3)
    images = rng.integers(0, 256, size=(30, 32, 32), dtype=np.uint8)
    y_true = np.arange(30) % 5
    y_pred = y_true.copy()
    y_pred[[3, 17]] = [2, 0]
    axes = plots.plot_misclassified(images, y_true, y_pred, NAMES, n=12)
    titled = [ax for ax in axes.flat if ax.images]
    assert len(titled) == 2
    assert titled[0].get_title() == f"real: {NAMES[3]}\npredicha: {NAMES[2]}"
    assert titled[1].get_title() == f"real: {NAMES[2]}\npredicha: {NAMES[0]}"
    assert np.array_equal(titled[1].images[0].get_array(), images[17])


def test_plot_misclassified_says_so_when_there_is_no_error():
    y = np.arange(10) % 5
    axes = plots.plot_misclassified(np.zeros((10, 32, 32), np.uint8), y, y, NAMES)
    assert not axes.flat[0].images and axes.flat[0].texts[0].get_text() == "ningún error"
