"""tlcourse.architectures: the plumbing of notebook 02 (stored counts, data, layer helpers)."""

from __future__ import annotations

import numpy as np
import pytest

from tlcourse import _env, architectures

tf = _env.import_tensorflow_quietly()
layers = tf.keras.layers

# The checked facts the notebook quotes (primary sources in data/cnn_evolution.md).
FACTS = {
    "VGG16": 138_357_544,
    "ResNet50": 25_636_712,
    "ResNet152": 60_419_944,
    "InceptionV3": 23_851_784,
    "MobileNetV2": 3_538_984,
}


def reference_breakdown(model) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Written independently of the notebook's solution."""

    def count_params(variables) -> int:  # type: ignore[no-untyped-def]
        return int(sum(int(np.prod(v.shape)) for v in variables))

    biases = [layer.bias for layer in model.layers
              if isinstance(layer, layers.Conv2D) and layer.use_bias]
    return {
        "total": model.count_params(),
        "entrenables": count_params(model.trainable_weights),
        "no_entrenables": count_params(model.non_trainable_weights),
        "sesgos_conv": count_params(biases),
    }


def test_stored_counts_match_the_facts_and_add_up():
    table = architectures.keras_parameter_counts()
    assert list(table.index) == list(architectures.KERAS_MODELS)
    assert list(table.columns) == list(architectures.BREAKDOWN_KEYS)
    for name, total in FACTS.items():
        row = table.loc[name]
        assert row["total"] == total
        assert row["entrenables"] + row["no_entrenables"] == row["total"]
    # The notebook's explanation: ResNet152 without BN statistics and redundant biases = 60.2 M.
    r152 = table.loc["ResNet152"]
    assert r152["entrenables"] - r152["sesgos_conv"] == 60_192_808


def test_stored_counts_errors_are_explained():
    with pytest.raises(ValueError, match="recompute=True"):
        architectures.keras_parameter_counts(["ResNet18"])
    with pytest.raises(ValueError, match="breakdown"):
        architectures.keras_parameter_counts(["MobileNetV2"], recompute=True)


@pytest.mark.slow
def test_stored_counts_are_what_keras_builds():
    """Rebuilds all five models with weights=None (~10 s, ~2 GB at VGG16's peak)."""
    fresh = architectures.keras_parameter_counts(recompute=True, breakdown=reference_breakdown)
    stored = architectures.keras_parameter_counts()
    assert (fresh[list(architectures.BREAKDOWN_KEYS)] == stored).all().all(), fresh


def test_small_fashion_mnist():
    (x, y), (xt, yt) = architectures.small_fashion_mnist(n_train=50, n_test=20)
    assert x.shape == (50, 32, 32, 1) and xt.shape == (20, 32, 32, 1)
    assert x.dtype == np.float32 and 0.0 <= x.min() and x.max() <= 1.0
    assert y.shape == (50,) and set(np.unique(y)) <= set(range(10))
    # catálogo centred: a 2-pixel black border around the 28x28 item
    assert x[:, :2].max() == 0 and x[:, -2:].max() == 0


def test_layer_helpers_enter_nested_models():
    inputs = tf.keras.Input(shape=(8, 8, 3))
    block = tf.keras.Sequential([layers.Conv2D(4, 3, padding="same", activation="relu"),
                                 layers.MaxPooling2D()])
    x = layers.Activation("tanh")(block(inputs))
    model = tf.keras.Model(inputs, layers.ReLU()(x))
    assert len(architectures.layers_of_type(model, layers.Conv2D)) == 1
    assert architectures.count_activation(model, "relu") == 2
    assert architectures.count_activation(model, "tanh") == 1
    built = architectures.block_model(lambda t, f: layers.Conv2D(f, 1)(t), (5, 5, 2), 7)
    assert built.output_shape == (None, 5, 5, 7)


def test_zero_convolutions_and_identity_batchnorm():
    inputs = tf.keras.Input(shape=(4, 4, 3))
    y = layers.BatchNormalization()(layers.Conv2D(3, 3, padding="same")(inputs))
    model = tf.keras.Model(inputs, layers.add([y, layers.Conv2D(3, 1)(inputs)]))
    x = np.random.default_rng(0).normal(size=(2, 4, 4, 3)).astype("float32")
    assert architectures.zero_convolutions(model, keep=lambda c: c.kernel_size == (1, 1)) == 1
    assert architectures.batchnorm_as_identity(model) == 1
    one_by_one = [c for c in architectures.layers_of_type(model, layers.Conv2D) if c.kernel_size == (1, 1)][0]
    one_by_one.kernel.assign(np.eye(3, dtype="float32")[None, None])
    np.testing.assert_allclose(model(x, training=False).numpy(), x, atol=1e-6)


@pytest.mark.parametrize("n, k", [(1, 3), (2, 3), (3, 3), (1, 5), (2, 5)])
def test_receptive_field_is_one_plus_n_times_k_minus_one(n, k):
    field = architectures.receptive_field(n, k, size=15)
    side = 1 + n * (k - 1)
    rows, cols = np.nonzero(field)
    assert rows.max() - rows.min() + 1 == side and cols.max() - cols.min() + 1 == side
