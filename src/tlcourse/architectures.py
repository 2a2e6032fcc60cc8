"""Plumbing for notebook ``02_arquitecturas`` (from LeNet-5 to ResNet in Keras).

The graded answers (the blocks, the parameter formulas, the parameter breakdown) are the
students' exercises and live in the notebook; this module only provides:

* the stored parameter counts of the full-size ``tf.keras.applications`` models, with a
  one-call way to recompute them (building VGG16 and ResNet152 costs seconds and ~2 GB
  of memory, too much for every run of the notebook);
* the small Fashion-MNIST subset of "nuestra propia tabla de evolución";
* layer helpers the test cells use to check structure and behaviour through public APIs
  (nested models flattened, convolutions set to zero, BatchNorm made the identity);
* the empirical receptive field of a stack of convolutions (a picture for the VGG section).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence

import numpy as np

#: The full-size models the notebook compares, in the order of the table.
KERAS_MODELS = ("VGG16", "ResNet50", "ResNet152", "InceptionV3", "MobileNetV2")

#: Keys of a parameter breakdown (the dictionary the notebook's ``desglose_parametros`` returns).
BREAKDOWN_KEYS = ("total", "entrenables", "no_entrenables", "sesgos_conv")

#: Measured with tensorflow 2.21 / tf_keras 2.21: ``getattr(tf.keras.applications, name)
#: (weights=None)`` (default input size, ``include_top=True``, 1000 classes).
#: ``sesgos_conv`` = elements of the biases of ``Conv2D`` layers.
#: ``tests/test_architectures.py`` rebuilds every model and checks these numbers.
STORED_COUNTS: dict[str, dict[str, int]] = {
    "VGG16": {"total": 138_357_544, "entrenables": 138_357_544, "no_entrenables": 0,
              "sesgos_conv": 4_224},
    "ResNet50": {"total": 25_636_712, "entrenables": 25_583_592, "no_entrenables": 53_120,
                 "sesgos_conv": 26_560},
    "ResNet152": {"total": 60_419_944, "entrenables": 60_268_520, "no_entrenables": 151_424,
                  "sesgos_conv": 75_712},
    "InceptionV3": {"total": 23_851_784, "entrenables": 23_817_352, "no_entrenables": 34_432,
                    "sesgos_conv": 0},
    "MobileNetV2": {"total": 3_538_984, "entrenables": 3_504_872, "no_entrenables": 34_112,
                    "sesgos_conv": 0},
}


def _tf():  # type: ignore[no-untyped-def]
    from tlcourse import _env

    return _env.import_tensorflow_quietly()


# --------------------------------------------------------------------------- full-size models
def keras_parameter_counts(names: Sequence[str] = KERAS_MODELS, recompute: bool = False,
                           breakdown: Callable | None = None):  # type: ignore[no-untyped-def]
    """Parameter breakdown of full-size ``tf.keras.applications`` models, as a DataFrame.

    By default the stored, measured values (:data:`STORED_COUNTS`), instantly. With
    ``recompute=True`` every model is built with ``weights=None`` (offline, random weights)
    and ``breakdown(model)`` gives its row, e.g. the notebook's ``desglose_parametros``;
    a column ``segundos`` says how long each build took. All five take ~10 s on 2 CPU cores
    and ~2 GB of memory at the peak (VGG16's dense layers).
    """
    import time

    import pandas as pd

    names = list(names)
    unknown = [n for n in names if not recompute and n not in STORED_COUNTS]
    if unknown:
        raise ValueError(
            f"No hay conteos guardados para {unknown}; usa recompute=True "
            f"(guardados: {sorted(STORED_COUNTS)})."
        )
    if not recompute:
        return pd.DataFrame([STORED_COUNTS[n] for n in names], index=pd.Index(names, name="modelo"))
    if breakdown is None:
        raise ValueError("Con recompute=True, pasa breakdown=desglose_parametros "
                         "(la función que devuelve el desglose de un modelo).")
    tf = _tf()
    rows = []
    for name in names:
        start = time.perf_counter()
        model = getattr(tf.keras.applications, name)(weights=None)
        row = dict(breakdown(model))
        row["segundos"] = round(time.perf_counter() - start, 2)
        rows.append(row)
        del model
        tf.keras.backend.clear_session()
    return pd.DataFrame(rows, index=pd.Index(names, name="modelo"))


# --------------------------------------------------------------------------- data
def small_fashion_mnist(n_train: int = 3000, n_test: int = 2000):  # type: ignore[no-untyped-def]
    """The first ``n_train`` / ``n_test`` *catálogo* images, centred on 32x32 like LeNet-5's input.

    Returns ``(x_train, y_train), (x_test, y_test)``: float32 images ``(n, 32, 32, 1)`` in
    ``[0, 1]`` and uint8 labels 0-9 (all ten classes, roughly balanced).
    """
    from tlcourse import data

    out = []
    for split, n in (("train", n_train), ("test", n_test)):
        x, y = data.load_split(split, "catalogo")
        images = data.pad_catalogo(x[:n]).astype("float32")[..., None] / 255.0
        out.append((images, np.array(y[:n])))
    return tuple(out)


# --------------------------------------------------------------------------- layer helpers
def iter_layers(model) -> Iterator:  # type: ignore[no-untyped-def]
    """Every layer of ``model``, entering nested models (a ``Sequential`` used as a block)."""
    tf = _tf()
    for layer in model.layers:
        if isinstance(layer, tf.keras.Model):
            yield from iter_layers(layer)
        else:
            yield layer


def layers_of_type(model, kind) -> list:  # type: ignore[no-untyped-def]
    """The layers of ``model`` (nested ones too) that are instances of ``kind``."""
    return [layer for layer in iter_layers(model) if isinstance(layer, kind)]


def activation_name(layer) -> str | None:  # type: ignore[no-untyped-def]
    """Name of a layer's activation (``'relu'``, ``'tanh'``, ``'linear'``...) or None."""
    function = getattr(layer, "activation", None)
    if function is None:
        return None
    name = getattr(function, "__name__", None) or type(function).__name__
    return name.lower()


def count_activation(model, name: str) -> int:  # type: ignore[no-untyped-def]
    """How many layers apply the activation ``name``: as their ``activation`` argument, as an
    ``Activation`` layer, or (for ``'relu'``) as a ``ReLU`` layer."""
    tf = _tf()
    count = 0
    for layer in iter_layers(model):
        if activation_name(layer) == name:
            count += 1
        elif name == "relu" and isinstance(layer, tf.keras.layers.ReLU):
            count += 1
    return count


def block_model(block: Callable, input_shape: Sequence[int], *args, **kwargs):  # type: ignore[no-untyped-def]
    """``Model(x, block(x, *args, **kwargs))`` for ``x = Input(input_shape)``: a block as a model."""
    tf = _tf()
    inputs = tf.keras.Input(shape=tuple(input_shape))
    return tf.keras.Model(inputs, block(inputs, *args, **kwargs))


def zero_convolutions(model, keep: Callable | None = None) -> int:  # type: ignore[no-untyped-def]
    """Set the kernel and bias of every ``Conv2D`` to zero (except where ``keep(layer)``).

    Returns how many layers were zeroed.
    """
    tf = _tf()
    count = 0
    for layer in layers_of_type(model, tf.keras.layers.Conv2D):
        if keep is not None and keep(layer):
            continue
        for weight in layer.weights:
            weight.assign(tf.zeros_like(weight))
        count += 1
    return count


def batchnorm_as_identity(model) -> int:  # type: ignore[no-untyped-def]
    """Make every ``BatchNormalization`` the identity in inference (gamma 1, beta 0, mean 0,
    variance ``1 - epsilon``). Returns how many layers were changed."""
    tf = _tf()
    layers = layers_of_type(model, tf.keras.layers.BatchNormalization)
    for layer in layers:
        if getattr(layer, "gamma", None) is not None:
            layer.gamma.assign(tf.ones_like(layer.gamma))
        if getattr(layer, "beta", None) is not None:
            layer.beta.assign(tf.zeros_like(layer.beta))
        layer.moving_mean.assign(tf.zeros_like(layer.moving_mean))
        layer.moving_variance.assign(tf.fill(tf.shape(layer.moving_variance), 1.0 - layer.epsilon))
    return len(layers)


def receptive_field(n_layers: int, k: int = 3, size: int = 15) -> np.ndarray:
    """How much each input pixel influences the centre output of ``n_layers`` stacked ``k``x``k``
    convolutions (stride 1, all-ones kernels, no activation): a ``size`` x ``size`` array
    whose non-zero region is the receptive field."""
    tf = _tf()
    x = tf.Variable(tf.zeros((1, size, size, 1)))
    convs = [tf.keras.layers.Conv2D(1, k, padding="same", use_bias=False, kernel_initializer="ones")
             for _ in range(n_layers)]
    with tf.GradientTape() as tape:
        y = x
        for conv in convs:
            y = conv(y)
        centre = y[0, size // 2, size // 2, 0]
    return tape.gradient(centre, x).numpy()[0, :, :, 0]


def keras_rows(counts: Mapping[str, Mapping[str, int]]):  # type: ignore[no-untyped-def]
    """Breakdowns ``{name: breakdown}`` as a DataFrame indexed by model name."""
    import pandas as pd

    return pd.DataFrame([dict(v) for v in counts.values()], index=pd.Index(list(counts), name="modelo"))
