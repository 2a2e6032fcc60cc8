"""Judge of 06_proyecto: preparing 8x8 digits for the backbone, and the chosen pipeline.

``preparar_digitos`` is evaluated on digits drawn for this run plus blank, full and
one-corner images whose corners are drawn too. ``entrenar_pipeline`` is trained by the probe
on the fixed ten-per-class training digits with the class labels permuted for this run, and
predicts the held-out test digits in an order drawn for this run; the judge recomputes the
accuracy against the permuted labels it knows (predictions precomputed for another run, or
looked up from the course data, are wrong here).
"""

from __future__ import annotations

import numpy as np

from tlcourse.grader.judging import PASS, Evidence, EvidenceError, Verdict, fail

#: The in-kernel test's limits: held-out accuracy, seconds to train and predict.
MIN_ACCURACY, MAX_SECONDS = 0.80, 30.0

PROBES = {
    "test_ej1_preparar_digitos": (
        "import numpy as np, tensorflow as tf\n"
        "_estado = {}\n"
        "def _digitos():\n"
        "    x = RETO['ej1_x'].copy()\n"
        "    p = preparar_digitos(x)\n"
        "    _estado['tipo'] = isinstance(p, (np.ndarray, tf.Tensor))\n"
        "    _estado['entrada'] = x\n"
        "    return np.asarray(p)\n"
        "registrar('ej1_digitos', _digitos)\n"
        "registrar('ej1_tipo', lambda: _estado['tipo'])\n"
        "registrar('ej1_entrada', lambda: _estado['entrada'])\n"
        "registrar('ej1_vacio', lambda: np.asarray(preparar_digitos(np.zeros((2, 8, 8)))))\n"
        "registrar('ej1_lleno', lambda: np.asarray(preparar_digitos(np.full((1, 8, 8), 16.0))))\n"
        "registrar('ej1_esquinas', lambda: np.asarray(preparar_digitos(RETO['ej1_esquinas'].copy())))\n"
    ),
    "test_ej2_entrenar_pipeline": (
        "import time, numpy as np\n"
        "from tlcourse import digits\n"
        "_estado = {}\n"
        "def _pipeline():\n"
        "    x, y = digits.train_subset(digits.BUDGET)\n"
        "    prueba = digits.test_set()[0][RETO['ej2_orden']]\n"
        "    inicio = time.perf_counter()\n"
        "    predecir = entrenar_pipeline(x.copy(), RETO['ej2_permutacion'][y])\n"
        "    _estado['predicciones'] = np.asarray(predecir(prueba.copy()))\n"
        "    segundos = time.perf_counter() - inicio\n"
        "    return {'funcion': callable(predecir), 'segundos': segundos,\n"
        "            'forma_uno': list(np.shape(np.asarray(predecir(prueba[:1].copy()))))}\n"
        "registrar('ej2', _pipeline)\n"
        "registrar('ej2_predicciones', lambda: _estado['predicciones'])\n"
    ),
}


def _digits():  # type: ignore[no-untyped-def]
    from tlcourse import digits

    return digits


def challenge(seed: int) -> dict[str, np.ndarray]:
    """Digits for ``preparar_digitos``, a label permutation and a test order for the pipeline."""
    rng = np.random.default_rng(seed)
    digits = _digits()
    images = digits.load_all()[0]
    corners = np.zeros((2, 8, 8))
    corners[0, :4, 4:] = rng.integers(8, 17, size=(4, 4))   # a stroke at the top right
    corners[1, 4:, :4] = rng.integers(8, 17, size=(4, 4))   # and one at the bottom left
    test_size = len(digits.stored_split()["test"])
    return {
        "ej1_x": images[rng.choice(len(images), 40, replace=False)],
        "ej1_esquinas": corners,
        "ej2_permutacion": rng.permutation(10),
        "ej2_orden": rng.permutation(test_size),
    }


def _array(evidence: Evidence, name: str) -> np.ndarray:
    value = evidence.value(name)
    if not isinstance(value, np.ndarray):
        raise EvidenceError("preparar_digitos debe devolver un arreglo numérico")
    return value


def _judge_ej1(evidence: Evidence, reto: dict[str, np.ndarray]) -> Verdict:
    from tlcourse.hub import backbone_spec

    side, x = backbone_spec().image_size, reto["ej1_x"]
    if evidence.value("ej1_tipo") is not True:
        return fail("preparar_digitos debe devolver un arreglo de NumPy.")
    p = _array(evidence, "ej1_digitos")
    if p.shape != (len(x), side, side, 3):
        return fail(f"Para {len(x)} dígitos se espera ({len(x)}, {side}, {side}, 3), no {p.shape}.")
    if p.dtype != np.float32:
        return fail(f"El tipo debe ser float32, no {p.dtype}.")
    if not np.array_equal(_array(evidence, "ej1_entrada"), x):
        return fail("preparar_digitos no debe modificar el arreglo que recibe.")
    if not (p.min() >= 0.0 and p.max() <= 1.0 + 1e-6):
        return fail(f"Los valores deben estar en [0, 1]; van de {p.min():.3f} a {p.max():.3f}.")
    if p.max() < 0.9:
        return fail(f"El valor máximo es {p.max():.3f}: los trazos más intensos (16) deberían quedar cerca de 1.")
    if not (np.allclose(p[..., 0], p[..., 1]) and np.allclose(p[..., 0], p[..., 2])):
        return fail("Los tres canales deben ser iguales: repite el gris en los 3 canales.")
    if not np.allclose(_array(evidence, "ej1_vacio"), 0.0):
        return fail("Un dígito vacío (todo 0) debe quedar todo en 0.")
    full = _array(evidence, "ej1_lleno")
    if full.size == 0 or abs(full.max() - 1.0) >= 0.01:
        return fail("Un dígito con todos los valores en 16 debe llegar a 1.")
    corners = _array(evidence, "ej1_esquinas")
    if corners.shape != (2, side, side, 3):
        return fail(f"Para 2 dígitos se espera (2, {side}, {side}, 3), no {corners.shape}.")
    m = side // 2
    top_right, bottom_left = corners[0, ..., 0], corners[1, ..., 0]
    if not (top_right[:m, m:].sum() > 10 * top_right[m:, :m].sum() + 1e-6
            and bottom_left[m:, :m].sum() > 10 * bottom_left[:m, m:].sum() + 1e-6):
        return fail("Un trazo en una esquina debe seguir en la misma esquina: no transpongas ni voltees las imágenes.")
    return PASS


def _judge_ej2(evidence: Evidence, reto: dict[str, np.ndarray]) -> Verdict:
    state = evidence.value("ej2")
    if not isinstance(state, dict) or state.get("funcion") is not True:
        return fail("entrenar_pipeline debe devolver una función predecir(imagenes).")
    labels = reto["ej2_permutacion"][_digits().test_set()[1][reto["ej2_orden"]]]
    predicted = _array(evidence, "ej2_predicciones")
    if predicted.shape != labels.shape:
        return fail(f"predecir debe devolver una etiqueta por dígito de prueba, forma {labels.shape}, "
                    f"no {predicted.shape}. Si tu modelo da probabilidades, usa argmax(axis=1).")
    if not (np.issubdtype(predicted.dtype, np.number) and np.all(predicted == np.round(predicted))
            and set(np.unique(predicted).tolist()) <= set(range(10))):
        return fail("Las etiquetas deben ser números enteros de 0 a 9.")
    accuracy = float(np.mean(predicted == labels))
    if accuracy < MIN_ACCURACY:
        return fail(f"Tu pipeline acierta el {accuracy:.1%} de los dígitos de prueba retenidos: no alcanza el "
                    "umbral. Revisa que el preprocesamiento sea el mismo al entrenar y al predecir.")
    seconds = state.get("segundos")
    if not isinstance(seconds, (int, float)) or not 0 <= seconds <= MAX_SECONDS:
        return fail(f"Entrenar y predecir debe tomar como mucho {MAX_SECONDS:.0f} s.")
    if state.get("forma_uno") != [1]:
        return fail("predecir también debe funcionar con un solo dígito (forma (1, 8, 8)).")
    return PASS


def _decide(grade_id: str, evidence: Evidence, reto: dict[str, np.ndarray]) -> Verdict:
    if grade_id == "test_ej1_preparar_digitos":
        return _judge_ej1(evidence, reto)
    if grade_id == "test_ej2_entrenar_pipeline":
        return _judge_ej2(evidence, reto)
    return fail(f"celda sin juez: {grade_id}")


def judge(grade_id: str, evidence: Evidence, reto: dict[str, np.ndarray]) -> Verdict:
    """Each cell checks what its in-kernel test checks (visible and hidden), on this run's inputs."""
    return _decide(grade_id, evidence, reto)
