"""Grader validity for 06_proyecto: full marks, zero, typical mistakes, correct variants.

The written answers (``manual_*``) are graded by a person: they score 0 here and are
left out of "full marks" (tests/test_manual_grading.py drives that workflow). The
pipeline exercise grades the *accuracy* of whatever model a student chooses, so a
pixels + logistic pipeline and a frozen-features pipeline are both correct; a pipeline
that scales for training but not for prediction, or returns probabilities, is not.
"""

from __future__ import annotations

import pytest

from tlcourse import grading
from grader_corpus import (  # noqa: F401  (shared fixture and tests, collected here)
    graded, results, test_blank_release_scores_zero, test_each_mistake_loses_only_its_exercise,
    test_honest_submissions_are_never_flagged,
    test_solution_gets_full_marks, test_solution_runs_silently_within_memory_budget)

A = "06_proyecto"
pytestmark = pytest.mark.slow

# ej2 mistakes are self-contained (they do not call preparar_digitos), so they can share
# a submission with an ej1 mistake without one exercise's error reaching the other.
CORPUS: dict[str, dict[str, str]] = {
    "solucion": {},
    "errores_1": {
        # ej1: divides by 255 out of habit (Fashion-MNIST bytes): digits end up almost black
        "ej1_preparar_digitos": (
            "def preparar_digitos(imagenes):\n"
            "    x = tf.image.resize(np.asarray(imagenes, np.float32)[..., None] / 255.0, (LADO, LADO))\n"
            "    return tf.repeat(x, 3, axis=-1).numpy()\n"
        ),
        # ej2: scales 0-16 -> 0-1 when training but forgets it when predicting
        "ej2_entrenar_pipeline": (
            "def entrenar_pipeline(x_entrenamiento, y_entrenamiento):\n"
            "    def a_red(imagenes, escala):\n"
            "        x = tf.image.resize(np.asarray(imagenes, np.float32)[..., None] / escala, (32, 32))\n"
            "        return tf.repeat(x, 3, axis=-1).numpy()\n"
            "    modelo = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))\n"
            "    modelo.fit(extractor.predict(a_red(x_entrenamiento, 16.0), verbose=0), y_entrenamiento)\n"
            "    return lambda imagenes: modelo.predict(extractor.predict(a_red(imagenes, 1.0), verbose=0))\n"
        ),
    },
    "errores_2": {
        # ej1: forgets to scale (values up to 16)
        "ej1_preparar_digitos": (
            "def preparar_digitos(imagenes):\n"
            "    x = tf.image.resize(np.asarray(imagenes, np.float32)[..., None], (LADO, LADO))\n"
            "    return tf.repeat(x, 3, axis=-1).numpy()\n"
        ),
        # ej2: returns class probabilities instead of labels
        "ej2_entrenar_pipeline": (
            "def entrenar_pipeline(x_entrenamiento, y_entrenamiento):\n"
            "    modelo = LogisticRegression(max_iter=2000).fit(pixeles(x_entrenamiento), y_entrenamiento)\n"
            "    return lambda imagenes: modelo.predict_proba(pixeles(imagenes))\n"
        ),
    },
    "variantes_1": {
        # ej1: resize straight to 32x32, grayscale_to_rgb, float64 input handled by tf
        "ej1_preparar_digitos": (
            "def preparar_digitos(imagenes):\n"
            "    x = tf.convert_to_tensor(imagenes, dtype=tf.float32)[..., tf.newaxis]\n"
            "    x = tf.image.resize(x / 16.0, [LADO, LADO], method='bilinear')\n"
            "    return tf.image.grayscale_to_rgb(x).numpy()\n"
        ),
        # ej2: no transfer at all: pixels + logistic regression, written from scratch
        "ej2_entrenar_pipeline": (
            "def entrenar_pipeline(x_entrenamiento, y_entrenamiento):\n"
            "    aplanar = lambda x: np.asarray(x, dtype=float).reshape(len(x), 64) / 16\n"
            "    modelo = LogisticRegression(max_iter=5000)\n"
            "    modelo.fit(aplanar(x_entrenamiento), y_entrenamiento)\n"
            "    def predecir(imagenes):\n"
            "        return modelo.predict(aplanar(imagenes))\n"
            "    return predecir\n"
        ),
    },
    "variantes_2": {
        # ej1: nearest-neighbour upsampling with NumPy, 3 channels with np.stack
        "ej1_preparar_digitos": (
            "def preparar_digitos(imagenes):\n"
            "    x = np.asarray(imagenes, dtype=np.float32) / 16.0\n"
            "    x = np.repeat(np.repeat(x, LADO // 8, axis=1), LADO // 8, axis=2)\n"
            "    return np.stack([x, x, x], axis=-1)\n"
        ),
        # ej2: frozen backbone features + logistic regression (uses this submission's ej1)
        "ej2_entrenar_pipeline": (
            "def entrenar_pipeline(x_entrenamiento, y_entrenamiento):\n"
            "    return entrenar_congelado(x_entrenamiento, y_entrenamiento)\n"
        ),
    },
}
WRONG = {
    "errores_1": {"ej1", "ej2"},
    "errores_2": {"ej1", "ej2"},
}
MANUAL = {"manual_eleccion", "manual_cambio_dominio", "manual_mas_etiquetas"}


def test_both_autograded_exercises_are_graded(results):
    assert {"test_ej1_preparar_digitos", "test_ej2_entrenar_pipeline"} <= set(results["solucion"])


def test_manual_cells_count_in_the_maximum(results):
    scores = results["solucion"]
    assert MANUAL <= set(scores)
    assert all(scores[gid].max_score > 0 and scores[gid].score == 0 for gid in MANUAL)


