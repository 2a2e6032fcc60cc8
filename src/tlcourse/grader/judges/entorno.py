"""Judge of 00_entorno: data summary, class proportions, a minimal Keras classifier."""

from __future__ import annotations

from typing import Any

import numpy as np

from tlcourse.grader.judges import _keras
from tlcourse.grader.judging import PASS, Evidence, Verdict, fail

SUMMARY_KEYS = ("n", "alto", "ancho", "clases", "min", "max")

PROBES = {
    "test_ej1_ejemplo": "registrar('ej1_ejemplo', lambda: [resumen_datos(RETO[f'ej1_x{i}'], RETO[f'ej1_y{i}']) "
                        "for i in range(3)])",
    "test_ej1_fashion": "registrar('ej1_fashion', lambda: resumen_datos(x_train, y_train))\n"
                        "registrar('ej1_otras', lambda: [resumen_datos(RETO[f'ej1_x{i}'], RETO[f'ej1_y{i}']) "
                        "for i in range(3)])",
    "test_ej2_ejemplo": "registrar('ej2_ejemplo', lambda: [proporcion_por_clase(RETO[f'ej2_y{i}'], "
                        "num_clases=int(RETO[f'ej2_k{i}'])) for i in range(3)])",
    "test_ej2_oculto": "registrar('ej2_fashion', lambda: proporcion_por_clase(y_train))\n"
                       "registrar('ej2_otras', lambda: [proporcion_por_clase(RETO[f'ej2_y{i}'], "
                       "num_clases=int(RETO[f'ej2_k{i}'])) for i in range(3)])",
    "test_ej3_modelo": "registrar('ej3_modelo', lambda: modelo_minimo())",
}


def challenge(seed: int) -> dict[str, np.ndarray]:
    """Random small images and labels (each label set repeats a label); label sets that miss
    classes at either end."""
    rng = np.random.default_rng(seed)
    arrays: dict[str, np.ndarray] = {}
    for i in range(3):
        n, h, w = (int(v) for v in rng.integers(2, 12, size=3))
        low = int(rng.integers(0, 100))
        arrays[f"ej1_x{i}"] = rng.integers(low, low + int(rng.integers(1, 150)), size=(n, h, w)).astype(np.uint8)
        labels = rng.integers(0, int(rng.integers(1, 10)), size=n)
        labels[-1] = labels[0]  # a label repeats (n >= 2): counting labels, not distinct ones, never agrees
        arrays[f"ej1_y{i}"] = labels
        k = int(rng.integers(3, 12))
        present = rng.choice(np.arange(1, k - 1), size=max(1, (k - 2) // 2), replace=False)
        arrays[f"ej2_k{i}"] = np.array(k)
        arrays[f"ej2_y{i}"] = rng.choice(present, size=int(rng.integers(5, 40)))
    return arrays


def _summary(x: np.ndarray, y: np.ndarray) -> dict[str, int]:
    return {"n": len(x), "alto": x.shape[1], "ancho": x.shape[2], "clases": len(np.unique(y)),
            "min": int(x.min()), "max": int(x.max())}


def _same_summary(got: Any, expected: dict[str, int]) -> bool:
    if not isinstance(got, dict) or not set(SUMMARY_KEYS) <= set(got):
        return False
    return all(isinstance(got[k], (int, float)) and not isinstance(got[k], bool) and got[k] == expected[k]
               for k in SUMMARY_KEYS)


def _proportions(y: np.ndarray, k: int) -> np.ndarray:
    counts = np.bincount(y, minlength=k).astype(float)
    return counts / counts.sum()


def _close(got: Any, expected: np.ndarray) -> bool:
    try:
        values = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return False
    return values.shape == expected.shape and np.allclose(values, expected, atol=1e-9)


def _summaries_right(got: Any, reto: dict[str, np.ndarray]) -> bool:
    return isinstance(got, list) and len(got) == 3 and all(
        _same_summary(g, _summary(reto[f"ej1_x{i}"], reto[f"ej1_y{i}"])) for i, g in enumerate(got))


def _proportions_right(got: Any, reto: dict[str, np.ndarray]) -> bool:
    return isinstance(got, list) and len(got) == 3 and all(
        _close(g, _proportions(reto[f"ej2_y{i}"], int(reto[f"ej2_k{i}"]))) for i, g in enumerate(got))


OTHER_SUMMARIES = ("resumen_datos no da n, alto, ancho, clases distintas, mínimo y máximo correctos con otras "
                   "imágenes.")
OTHER_PROPORTIONS = ("proporcion_por_clase no da la fracción de cada clase 0..num_clases-1 con otras etiquetas "
                     "(¿faltan las clases que no aparecen, al principio o al final?).")


def judge(grade_id: str, evidence: Evidence, reto: dict[str, np.ndarray]) -> Verdict:
    """Each cell checks what its in-kernel test checks (visible and hidden), on this run's inputs."""
    if grade_id == "test_ej1_ejemplo":
        return PASS if _summaries_right(evidence.value("ej1_ejemplo"), reto) else fail(OTHER_SUMMARIES)
    if grade_id == "test_ej1_fashion":
        expected = {"n": 60000, "alto": 28, "ancho": 28, "clases": 10, "min": 0, "max": 255}
        if not _same_summary(evidence.value("ej1_fashion"), expected):
            return fail("El resumen del conjunto de entrenamiento de Fashion-MNIST no es correcto.")
        return PASS if _summaries_right(evidence.value("ej1_otras"), reto) else fail(OTHER_SUMMARIES)
    if grade_id == "test_ej2_ejemplo":
        return PASS if _proportions_right(evidence.value("ej2_ejemplo"), reto) else fail(OTHER_PROPORTIONS)
    if grade_id == "test_ej2_oculto":
        if not _close(evidence.value("ej2_fashion"), np.full(10, 0.1)):
            return fail("En Fashion-MNIST cada clase es exactamente el 10 % del entrenamiento.")
        return PASS if _proportions_right(evidence.value("ej2_otras"), reto) else fail(OTHER_PROPORTIONS)
    if grade_id == "test_ej3_modelo":
        return _judge_model(evidence)
    return fail(f"celda sin juez: {grade_id}")


def _judge_model(evidence: Evidence) -> Verdict:
    model = evidence.keras_model("ej3_modelo")
    if tuple(model.input_shape) != (None, 28, 28):
        return fail(f"El modelo debe recibir imágenes de 28×28, no {model.input_shape}.")
    x = np.random.default_rng(0).random((4, 28, 28), dtype=np.float32) * 255
    out = np.asarray(model(x, training=False))
    if out.shape != (4, 10):
        return fail(f"La salida debe tener forma (lote, 10), no {out.shape}.")
    if not (np.all(out >= 0) and np.allclose(out.sum(axis=1), 1, atol=1e-5)):
        return fail("La capa final debe usar softmax (cada fila suma 1).")
    if model.count_params() != 28 * 28 * 10 + 10:
        return fail("Debe ser Flatten + una sola Dense(10): 7 850 parámetros.")
    return PASS


warm = _keras.warm_tensorflow  # the judge's warm-up: TensorFlow only
