"""The baselines' recipe, and the one baseline notebook 03 runs live: pixels + logistic regression.

Every baseline trains on the course's fixed few-label subset of the target task
(:func:`tlcourse.data.target_subset`: ``k`` images per class) and is scored on the
**whole** target test set (5000 images) in the same condition:

* :func:`pixels_logistic` (here): multinomial logistic regression on raw pixels (scikit-learn);
* a small CNN trained from scratch and the frozen backbone + a linear head: build side,
  :mod:`tlcourse.build.transfer_baselines` (with the model card's table); notebooks read their
  results from ``data/results/`` and ``data/hub/metrics.json``.

This module is on the course side (students import it); it trains no network.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tlcourse import data

TABLE_KS = (5, 20, 100)
METHODS = ("pixels", "scratch", "frozen")
SEED = 42

# Hyperparameters chosen by the sweep described in data/hub/MODEL_CARD.md.
LOGISTIC_C = 0.1
SCRATCH_FILTERS = (32, 64, 128)
SCRATCH_MAX_EPOCHS = 150
SCRATCH_PATIENCE = 20
SCRATCH_LEARNING_RATE = 1e-3
SCRATCH_DROPOUT = 0.0
#: Variants of the scratch CNN; train_scratch_cnn picks one by validation loss.
SCRATCH_CANDIDATES: tuple[dict[str, Any], ...] = ({"dropout": 0.0}, {"dropout": 0.3})
LINEAR_CS = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0)  #: inverse L2 strengths tried by cross-validation
HEAD_EPOCHS = 100
HEAD_LEARNING_RATE = 1e-2


def recipe() -> dict[str, Any]:
    """The baselines' hyperparameters, as recorded in the backbone's ``metrics.json`` (and card)."""
    return {"seed": SEED, "logistic_c": LOGISTIC_C, "linear_cs": list(LINEAR_CS),
            "scratch_filters": list(SCRATCH_FILTERS), "scratch_max_epochs": SCRATCH_MAX_EPOCHS,
            "scratch_patience": SCRATCH_PATIENCE, "scratch_learning_rate": SCRATCH_LEARNING_RATE,
            "scratch_dropouts": [c.get("dropout", 0.0) for c in SCRATCH_CANDIDATES],
            "head_epochs": HEAD_EPOCHS, "head_learning_rate": HEAD_LEARNING_RATE}


def _test_set(condition: data.Condition) -> tuple[np.ndarray, np.ndarray]:
    return data.load_task("target", "test", condition)


# --------------------------------------------------------------------------------------
# Pixels + logistic regression
# --------------------------------------------------------------------------------------
def pixel_features(images: np.ndarray) -> np.ndarray:
    """Flatten grey uint8 images to float vectors in ``[0, 1]``."""
    images = np.asarray(images)
    return images.reshape(len(images), -1).astype(np.float32) / 255.0


def pixels_logistic(k: int, condition: data.Condition = "campo", C: float = LOGISTIC_C) -> float:
    """Logistic regression on raw pixels trained on ``k`` images per class; test accuracy.

    L2-regularised multinomial logistic regression (scikit-learn, lbfgs).
    """
    from sklearn.linear_model import LogisticRegression

    x_train, y_train = data.target_subset(k, condition)
    x_test, y_test = _test_set(condition)
    model = LogisticRegression(C=C, max_iter=5000)
    model.fit(pixel_features(x_train), y_train)
    return float(model.score(pixel_features(x_test), y_test))
