"""Build side: the scratch CNN and frozen-backbone baselines, and the model card's transfer table.

Same protocol as :mod:`tlcourse.baselines` (the course-side half: the recipe's constants
and the pixel baseline): train on ``k`` images per class of the target task, score on the
whole target test set in the same condition.

* :func:`scratch_cnn`: a small CNN trained from scratch, a fair opponent (see its docstring
  for how it was tuned);
* :func:`frozen_linear`: the frozen course backbone as a feature extractor (features are
  computed once and cached) plus a new linear softmax head.

:func:`transfer_table` runs them and the pixel baseline for several ``k`` (the model
card's table). Not shipped to students (it contains the recipes notebooks 03 and 04 ask for).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from tlcourse import data
from tlcourse.build.backbone import to_model_input
from tlcourse.baselines import (  # noqa: F401 (the recipe, re-exported for the build scripts)
    HEAD_EPOCHS, HEAD_LEARNING_RATE, LINEAR_CS, LOGISTIC_C, METHODS, SCRATCH_CANDIDATES,
    SCRATCH_DROPOUT, SCRATCH_FILTERS, SCRATCH_LEARNING_RATE, SCRATCH_MAX_EPOCHS, SCRATCH_PATIENCE,
    SEED, TABLE_KS, _test_set, pixel_features, pixels_logistic,
)
from tlcourse.grader.hidden_test_helpers import accuracy


def _tf():  # type: ignore[no-untyped-def]
    from tlcourse._env import import_tensorflow_quietly

    return import_tensorflow_quietly()


# --------------------------------------------------------------------------------------
# Small CNN from scratch
# --------------------------------------------------------------------------------------
def build_scratch_cnn(input_shape: tuple[int, int, int] = (32, 32, 1),
                      filters: Iterable[int] = SCRATCH_FILTERS, num_classes: int = 5,
                      dropout: float = SCRATCH_DROPOUT):
    """A small CNN for few-label training: Conv(3x3)-ReLU-MaxPool blocks, global average pooling, softmax.

    No BatchNormalization on purpose: with 25-500 images an epoch is 2-30 steps, far too
    few for BatchNorm's moving statistics (momentum 0.99) to settle, and the model then
    predicts one class at test time (measured: 0.20 accuracy at k = 5). Global average
    pooling, not ``Flatten``: it makes the network insensitive to where the item is, which
    is what *campo* needs (measured: +0.11 at k = 20 over a Flatten-Dense-Dropout CNN).
    """
    tf = _tf()
    layers = tf.keras.layers
    model = tf.keras.Sequential([tf.keras.Input(input_shape)], name="scratch_cnn")
    for i, width in enumerate(filters, start=1):
        model.add(layers.Conv2D(width, 3, padding="same", activation="relu", name=f"conv{i}"))
        model.add(layers.MaxPooling2D(name=f"pool{i}"))
    model.add(layers.GlobalAveragePooling2D(name="gap"))
    if dropout:
        model.add(layers.Dropout(dropout, name="dropout"))
    model.add(layers.Dense(num_classes, activation="softmax", name="head"))
    return model


def _stratified_split(labels: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, validation): ``fraction`` of every class, at least one image each."""
    rng = np.random.default_rng(seed)
    train, val = [], []
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        n_val = max(1, int(round(fraction * len(idx))))
        val.extend(idx[:n_val])
        train.extend(idx[n_val:])
    return np.sort(np.array(train)), np.sort(np.array(val))


def _scratch_input(images: np.ndarray) -> np.ndarray:
    return to_model_input(images)[..., :1]


def train_scratch_cnn(images: np.ndarray, labels: np.ndarray, seed: int = SEED,
                      candidates: Sequence[dict[str, Any]] = SCRATCH_CANDIDATES,
                      max_epochs: int = SCRATCH_MAX_EPOCHS, patience: int = SCRATCH_PATIENCE,
                      val_fraction: float = 0.2, learning_rate: float = SCRATCH_LEARNING_RATE,
                      build_fn: Callable[..., Any] | None = None,
                      verbose: int = 0):  # type: ignore[no-untyped-def]
    """Train a small CNN from scratch on few labels, tuned on validation data only.

    1. Hold out a stratified ``val_fraction`` of the training images. For every candidate
       (keyword arguments of :func:`build_scratch_cnn`) train with Adam and early stopping
       on the validation loss (patience ``patience``), which picks the number of epochs.
    2. Keep the candidate with the lowest validation loss and retrain it, same seed, on
       *all* the training images for its number of epochs (no label wasted on validation).

    The test set is never looked at. ``build_fn(input_shape)`` replaces the candidates.
    Returns the fitted model with ``model.tuning`` describing the choice.
    """
    tf = _tf()
    x = _scratch_input(images)
    y = np.asarray(labels)
    batch = 16 if len(y) < 200 else 32
    fit_idx, val_idx = _stratified_split(y, val_fraction, seed)
    options = [{}] if build_fn else list(candidates)

    def fresh(option):  # type: ignore[no-untyped-def]
        tf.keras.utils.set_random_seed(seed)
        model = build_fn(x.shape[1:]) if build_fn else build_scratch_cnn(x.shape[1:], **option)
        model.compile(tf.keras.optimizers.Adam(learning_rate),
                      "sparse_categorical_crossentropy", metrics=["accuracy"])
        return model

    trials = []
    for option in options:
        stopper = tf.keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience)
        history = fresh(option).fit(x[fit_idx], y[fit_idx], validation_data=(x[val_idx], y[val_idx]),
                                    epochs=max_epochs, batch_size=batch, callbacks=[stopper],
                                    verbose=verbose)
        losses = history.history["val_loss"]
        trials.append({"option": option, "val_loss": float(np.min(losses)),
                       "epochs": int(np.argmin(losses)) + 1})
    best = min(trials, key=lambda t: t["val_loss"])
    model = fresh(best["option"])
    model.fit(x, y, epochs=best["epochs"], batch_size=batch, verbose=verbose)
    model.tuning = {"chosen": best, "trials": trials}  # type: ignore[attr-defined]
    return model


def scratch_cnn(k: int, condition: data.Condition = "campo", seed: int = SEED) -> float:
    """A small CNN trained from scratch on ``k`` images per class; test accuracy."""
    x_train, y_train = data.target_subset(k, condition)
    x_test, y_test = _test_set(condition)
    model = train_scratch_cnn(x_train, y_train, seed=seed)
    return accuracy(model.predict(_scratch_input(x_test), batch_size=500, verbose=0), y_test)


# --------------------------------------------------------------------------------------
# Frozen backbone + linear head (feature caching)
# --------------------------------------------------------------------------------------
_FEATURE_CACHE: dict[tuple[str, str, str], np.ndarray] = {}


def feature_extractor(backbone: Any = None):  # type: ignore[no-untyped-def]
    """A frozen ``tf_keras`` model mapping backbone inputs to features.

    ``backbone``: ``None`` (the committed course SavedModel), a handle or path string
    (loaded with ``hub.KerasLayer(trainable=False)``), or a ``tf_keras`` model.
    """
    tf = _tf()
    if backbone is None or isinstance(backbone, (str, os.PathLike)):
        from tlcourse import hub as course_hub

        handle = str(backbone) if backbone is not None else course_hub.local_handle()
        layer = course_hub.keras_layer(handle, trainable=False)
        return tf.keras.Sequential([tf.keras.Input((32, 32, 3)), layer])
    return backbone  # a tf_keras model: predict() runs BatchNorm in inference mode


def extract_features(images: np.ndarray, backbone: Any = None, batch_size: int = 500) -> np.ndarray:
    """Features of grey uint8 images (``(n, 28, 28)`` or ``(n, 32, 32)``) from the frozen backbone."""
    model = feature_extractor(backbone)
    return model.predict(to_model_input(images), batch_size=batch_size, verbose=0)


def cached_features(images: np.ndarray, backbone: Any = None, tag: str = "") -> np.ndarray:
    """:func:`extract_features` memoised by (backbone, image digest): each set is computed once."""
    key = (str(backbone), tag, data.array_digest(images))
    if key not in _FEATURE_CACHE:
        _FEATURE_CACHE[key] = extract_features(images, backbone)
    return _FEATURE_CACHE[key]


def train_linear_head(features: np.ndarray, labels: np.ndarray, seed: int = SEED,
                      epochs: int = HEAD_EPOCHS, num_classes: int = 5):  # type: ignore[no-untyped-def]
    """A ``tf_keras`` ``Dense`` softmax layer trained on cached features (the notebooks' recipe).

    Adam (learning rate :data:`HEAD_LEARNING_RATE`), ``epochs`` epochs, batches of 32.
    """
    tf = _tf()
    tf.keras.utils.set_random_seed(seed)
    head = tf.keras.Sequential([tf.keras.Input(features.shape[1:]),
                                tf.keras.layers.Dense(num_classes, activation="softmax")])
    head.compile(tf.keras.optimizers.Adam(HEAD_LEARNING_RATE), "sparse_categorical_crossentropy",
                 metrics=["accuracy"])
    head.fit(features, labels, epochs=epochs, batch_size=32, verbose=0)
    return head


def fit_linear_probe(features: np.ndarray, labels: np.ndarray, seed: int = SEED):  # type: ignore[no-untyped-def]
    """The standard linear probe: standardised features + multinomial logistic regression.

    The L2 strength is chosen among :data:`LINEAR_CS` by stratified 5-fold cross-validation
    on the training features (never on test data). Returns a fitted scikit-learn pipeline.
    """
    from sklearn.linear_model import LogisticRegressionCV
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    folds = StratifiedKFold(n_splits=min(5, int(np.bincount(labels).min())), shuffle=True, random_state=seed)
    probe = make_pipeline(StandardScaler(), LogisticRegressionCV(Cs=list(LINEAR_CS), cv=folds, max_iter=5000))
    return probe.fit(features, labels)


def frozen_linear(k: int, condition: data.Condition = "campo", backbone: Any = None,
                  seed: int = SEED, head: str = "keras") -> float:
    """Frozen backbone features + a new linear softmax head, ``k`` images per class; test accuracy.

    ``head="probe"``: :func:`fit_linear_probe` (standardisation + logistic regression, L2
    chosen by cross-validation); ``head="keras"``: :func:`train_linear_head` on raw features.
    """
    x_train, y_train = data.target_subset(k, condition)
    x_test, y_test = _test_set(condition)
    f_train = cached_features(x_train, backbone)
    f_test = cached_features(x_test, backbone)
    if head == "probe":
        return float(fit_linear_probe(f_train, y_train, seed=seed).score(f_test, y_test))
    if head != "keras":
        raise ValueError(f"head debe ser 'probe' o 'keras', no {head!r}")
    model = train_linear_head(f_train, y_train, seed=seed)
    return accuracy(model.predict(f_test, batch_size=1000, verbose=0), y_test)


# --------------------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------------------
def transfer_table(ks: Iterable[int] = TABLE_KS, condition: data.Condition = "campo",
                   backbone: Any = None, methods: Iterable[str] = METHODS,
                   verbose: int = 0) -> dict[str, dict[int, float]]:
    """Test accuracy of each method for each ``k``: ``{method: {k: accuracy}}``."""
    runners: dict[str, Callable[[int], float]] = {
        "pixels": lambda k: pixels_logistic(k, condition),
        "scratch": lambda k: scratch_cnn(k, condition),
        "frozen": lambda k: frozen_linear(k, condition, backbone=backbone),
        "frozen_keras": lambda k: frozen_linear(k, condition, backbone=backbone, head="keras"),
    }
    table: dict[str, dict[int, float]] = {}
    for method in methods:
        table[method] = {}
        for k in ks:
            start = time.perf_counter()
            table[method][k] = runners[method](k)
            if verbose:
                print(f"transfer {condition} {method:8s} k={k:3d}: {table[method][k]:.4f} "
                      f"({time.perf_counter() - start:.1f} s)", flush=True)
    return table
