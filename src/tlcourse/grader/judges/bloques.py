"""Judge of 02_arquitecturas: parameter formulas, classic stages and blocks, a parameter breakdown.

The formulas (ej1, ej4) and the breakdown (ej9) are evaluated on inputs drawn for this run and
compared with the judge's own arithmetic. The models and blocks (ej2, ej3, ej5-ej8) come back
as Keras config plus weights, built by the probe on shapes and filter counts drawn for this
run; the judge rebuilds them with built-in layers only (:mod:`.bloques_modelos`) and
repeats, on the rebuilt model, every structural and behavioural check of the notebook's
visible and hidden tests (parameter counts, output shapes, kernels, activations, dropout,
the residual identity and projection).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tlcourse.grader.judges import _keras
from tlcourse.grader.judging import PASS, Evidence, Verdict, fail

#: The probe builds a block as a model on a fresh input: ``Model(x, bloque(x, *args))``.
_BLOCK = ("_tlc_bloque = lambda f, forma, *a, **k: (lambda tf: (lambda x: tf.keras.Model(x, f(x, *a, **k)))"
          "(tf.keras.Input(shape=tuple(int(v) for v in forma))))(__import__('tensorflow'))\n")

_EJ1 = (
    "_tlc_llamar = lambda f, fila: f(*[int(v) for v in fila[:-1]]) if int(fila[-1]) == 2 "
    "else f(*[int(v) for v in fila[:-1]], sesgo=bool(fila[-1]))\n"
    "registrar('ej1', lambda: {'conv': [_tlc_llamar(parametros_conv, fila) for fila in RETO['ej1_conv']], "
    "'densa': [_tlc_llamar(parametros_densa, fila) for fila in RETO['ej1_densa']]})\n"
)
_EJ4 = (
    "registrar('ej4', lambda: {'campo': [campo_receptivo(int(n)) if int(k) == 0 else campo_receptivo(int(n), int(k)) "
    "for n, k in RETO['ej4_campo']], 'pesos': [pesos_pila(int(n), int(k), int(c)) for n, k, c in RETO['ej4_pesos']]})\n"
)
_EJ9 = (
    "def _tlc_modelo_desglose(fila):\n"
    "    tf = __import__('tensorflow')\n"
    "    L = tf.keras.layers\n"
    "    h, w, c, f1, k1, b1, bn, bn_fija, f2, b2, conv2_fija, plano, u, bd, densa_fija, secuencial = (int(v) for v in fila)\n"
    "    capas = [L.Conv2D(f1, k1, use_bias=bool(b1))]\n"
    "    if bn:\n"
    "        capas.append(L.BatchNormalization(trainable=not bn_fija))\n"
    "    capas += [L.Conv2D(f2, 1, use_bias=bool(b2), trainable=not conv2_fija),\n"
    "              L.Flatten() if plano else L.GlobalAveragePooling2D(),\n"
    "              L.Dense(u, use_bias=bool(bd), trainable=not densa_fija)]\n"
    "    if secuencial:\n"
    "        return tf.keras.Sequential([tf.keras.Input(shape=(h, w, c)), *capas])\n"
    "    x = entrada = tf.keras.Input(shape=(h, w, c))\n"
    "    for capa in capas:\n"
    "        x = capa(x)\n"
    "    return tf.keras.Model(entrada, x)\n"
    "registrar('ej9', lambda: [__import__('tlcourse.grader.evidence').grader.evidence.to_plain(desglose_parametros(_tlc_modelo_desglose(fila))) "
    "for fila in RETO['ej9']])\n"
)

PROBES = {
    "test_ej1_contar_parametros": _EJ1,
    "test_ej2_lenet5": "registrar('ej2', lambda: lenet5())\n",
    "test_ej3_etapa_alexnet": ("registrar('ej3_227', lambda: etapa_alexnet())\n"
                               "registrar('ej3_otra', lambda: etapa_alexnet(tuple(int(v) for v in RETO['ej3_forma'])))\n"),
    "test_ej4_campo_receptivo": _EJ4,
    "test_ej5_bloque_vgg": _BLOCK + (
        "registrar('ej5_base', lambda: _tlc_bloque(bloque_vgg, (32, 32, 3), 64))\n"
        "for _i in range(2):\n"
        "    registrar(f'ej5_{_i}', lambda: _tlc_bloque(bloque_vgg, RETO[f'ej5_forma{_i}'], int(RETO['ej5_filtros'][_i]), "
        "n_convs=int(RETO['ej5_convs'][_i])))\n"),
    "test_ej6_modulo_3a": _BLOCK + (
        "registrar('ej6_3a', lambda: _tlc_bloque(modulo_inception, (28, 28, 192), 64, 96, 128, 16, 32, 32))\n"),
    "test_ej6_ramas": _BLOCK + (
        "registrar('ej6_otro', lambda: _tlc_bloque(modulo_inception, RETO['ej6_forma'], "
        "*[int(v) for v in RETO['ej6_filtros']]))\n"),
    "test_ej7_identidad": _BLOCK + (
        "registrar('ej7_identidad', lambda: _tlc_bloque(bloque_residual, RETO['ej7_forma'], int(RETO['ej7_forma'][2])))\n"),
    "test_ej7_proyeccion": _BLOCK + (
        "registrar('ej7_paso2', lambda: _tlc_bloque(bloque_residual, RETO['ej7_forma'], int(RETO['ej7_filtros'][0]), stride=2))\n"
        "registrar('ej7_canales', lambda: _tlc_bloque(bloque_residual, RETO['ej7_forma'], int(RETO['ej7_filtros'][1])))\n"),
    "test_ej8_construir_aplicacion": "registrar('ej8', lambda: construir_aplicacion('MobileNetV2'))\n",
    "test_ej9_desglose_parametros": _EJ9,
}


# --------------------------------------------------------------------------- this run's inputs
def _ej9_rows(rng: np.random.Generator) -> np.ndarray:
    """Models for the breakdown: the visible example's kind, the hidden test's kind, a random one.

    Columns: h, w, c, f1, k1, bias1, bn, bn_frozen, f2, bias2, conv2_frozen, flatten, units,
    dense_bias, dense_frozen, sequential.
    """
    def sizes() -> list[int]:
        h, w = (int(v) for v in rng.integers(4, 9, size=2))
        return [h, w, int(rng.integers(1, 5)), int(rng.integers(2, 7)), int(rng.choice([1, 3]))]

    visible = sizes() + [1, 1, 0, int(rng.integers(2, 6)), 1, 0, 0, int(rng.integers(2, 5)), 1, 0, 1]
    hidden = sizes() + [0, 1, 0, int(rng.integers(2, 6)), 1, 0, 1, int(rng.integers(2, 5)), 1, 1, 0]
    flags = [int(v) for v in rng.integers(0, 2, size=10)]
    drawn = sizes() + [flags[0], flags[1], flags[2], int(rng.integers(2, 6)), flags[3], flags[4], flags[5],
                       int(rng.integers(2, 5)), flags[6], flags[7], flags[8]]
    return np.array([visible, hidden, drawn])


def challenge(seed: int) -> dict[str, np.ndarray]:
    """Arguments of every function and block for this run."""
    rng = np.random.default_rng(seed)
    conv = np.column_stack([rng.choice([1, 3, 5, 7], 6), rng.integers(1, 300, 6), rng.integers(1, 300, 6),
                            [2, 2, 1, 0, 0, int(rng.integers(0, 3))]])
    h5 = [int(v) * 2 for v in rng.integers(2, 9, size=4)]
    n = int(rng.integers(2, 6)) * 2
    layers = rng.integers(1, 12, 6)
    layers[0] = max(int(layers[0]), 2)  # with one layer n·k = 1 + n·(k - 1): one row tells them apart
    return {
        "ej1_conv": conv,
        "ej1_densa": np.column_stack([rng.integers(1, 30000, 6), rng.integers(1, 5000, 6),
                                      [2, 2, 1, 0, 0, int(rng.integers(0, 3))]]),
        "ej3_forma": np.array([int(rng.integers(40, 130)), int(rng.integers(40, 130)), int(rng.integers(1, 5))]),
        "ej4_campo": np.column_stack([layers, [0, 0, *rng.choice([3, 5, 7], 4)]]),
        "ej4_pesos": np.column_stack([rng.integers(1, 6, 4), rng.choice([1, 3, 5, 7], 4), rng.integers(1, 130, 4)]),
        "ej5_forma0": np.array([h5[0], h5[1], int(rng.integers(1, 6))]),
        "ej5_forma1": np.array([h5[2], h5[3], int(rng.integers(1, 6))]),
        "ej5_filtros": rng.integers(2, 20, size=2),
        "ej5_convs": np.array([int(rng.choice([1, 3])), int(rng.integers(1, 4))]),
        "ej6_forma": np.array([int(rng.integers(3, 9)), int(rng.integers(3, 9)), int(rng.integers(2, 24))]),
        "ej6_filtros": rng.integers(1, 12, size=6),
        "ej7_forma": np.array([n, n, int(rng.integers(2, 12))]),
        "ej7_filtros": rng.integers(12, 24, size=2),
        "ej9": _ej9_rows(rng),
    }


# --------------------------------------------------------------------------- reference arithmetic
def conv_params(k: int, c_in: int, c_out: int, bias: bool = True) -> int:
    return k * k * c_in * c_out + (c_out if bias else 0)


def _out(n: int, k: int, s: int) -> int:
    """Side of a 'valid' convolution or pooling output."""
    return (n - k) // s + 1


def breakdown(row: np.ndarray) -> dict[str, int]:
    """The expected ``desglose_parametros`` of one drawn model (see :func:`_ej9_rows`)."""
    h, w, c, f1, k1, b1, bn, bn_frozen, f2, b2, conv2_frozen, flat, u, bd, dense_frozen, _ = (int(v) for v in row)
    trainable = conv_params(k1, c, f1, bool(b1))
    frozen = 0
    if bn:
        frozen += 2 * f1
        trainable, frozen = (trainable, frozen + 2 * f1) if bn_frozen else (trainable + 2 * f1, frozen)
    conv2 = conv_params(1, f1, f2, bool(b2))
    trainable, frozen = (trainable, frozen + conv2) if conv2_frozen else (trainable + conv2, frozen)
    features = f2 * ((h - k1 + 1) * (w - k1 + 1) if flat else 1)
    dense = features * u + (u if bd else 0)
    trainable, frozen = (trainable, frozen + dense) if dense_frozen else (trainable + dense, frozen)
    return {"total": trainable + frozen, "entrenables": trainable, "no_entrenables": frozen,
            "sesgos_conv": (f1 if b1 else 0) + (f2 if b2 else 0)}


def _integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number_equal(value: Any, expected: int) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == expected


def _judge_ej1(got: Any, reto: dict[str, np.ndarray]) -> Verdict:
    if not isinstance(got, dict) or not all(isinstance(got.get(k), list) and len(got[k]) == 6 for k in ("conv", "densa")):
        return fail("parametros_conv y parametros_densa deben devolver un número por llamada.")
    for kind, rows in (("conv", reto["ej1_conv"]), ("densa", reto["ej1_densa"])):
        for value, row in zip(got[kind], rows):
            k, a, b, bias = (int(v) for v in row) if kind == "conv" else (1, *(int(v) for v in row))
            expected = conv_params(k, a, b, bias != 0)
            if bias == 2 and not _integer(value):
                return fail(f"Las funciones deben devolver enteros, no {type(value).__name__}.")
            if not _number_equal(value, expected):
                name = "parametros_conv" if kind == "conv" else "parametros_densa"
                args = f"{k}, {a}, {b}" if kind == "conv" else f"{a}, {b}"
                extra = "" if bias == 2 else f", sesgo={bool(bias)}"
                return fail(f"{name}({args}{extra}) debe dar {expected:,}, no {value!r}: "
                            "pesos y, si sesgo=True, un sesgo por salida.")
    return PASS


def _judge_ej4(got: Any, reto: dict[str, np.ndarray]) -> Verdict:
    if not isinstance(got, dict) or not isinstance(got.get("campo"), list) or not isinstance(got.get("pesos"), list):
        return fail("campo_receptivo y pesos_pila deben devolver un número por llamada.")
    if len(got["campo"]) != len(reto["ej4_campo"]) or len(got["pesos"]) != len(reto["ej4_pesos"]):
        return fail("campo_receptivo y pesos_pila deben devolver un número por llamada.")
    for value, (n, k) in zip(got["campo"], reto["ej4_campo"]):
        k = int(k) or 3
        if not _number_equal(value, 1 + int(n) * (k - 1)):
            return fail(f"campo_receptivo({int(n)}, {k}) no es correcto: cada capa k×k agrega k − 1 píxeles.")
    for value, (n, k, c) in zip(got["pesos"], reto["ej4_pesos"]):
        if not _number_equal(value, int(n) * int(k) ** 2 * int(c) ** 2):
            return fail(f"pesos_pila({int(n)}, {int(k)}, {int(c)}) no es correcto: n·k·k·C·C pesos.")
    return PASS


def _judge_ej9(got: Any, reto: dict[str, np.ndarray]) -> Verdict:
    rows = reto["ej9"]
    if not isinstance(got, list) or len(got) != len(rows):
        return fail("desglose_parametros debe devolver un diccionario por modelo.")
    for answer, row in zip(got, rows):
        if not isinstance(answer, dict):
            return fail("desglose_parametros debe devolver un diccionario.")
        missing = {"total", "entrenables", "no_entrenables", "sesgos_conv"} - set(answer)
        if missing:
            return fail(f"Faltan claves en el diccionario: {sorted(missing)}")
        for key, expected in breakdown(row).items():
            if not _number_equal(answer[key], expected):
                return fail(f"Con otro modelo, '{key}' debe ser {expected:,} y no {answer[key]!r} "
                            "(total = count_params; entrenables/no entrenables según trainable_weights; "
                            "sesgos_conv solo de las Conv2D con sesgo).")
    return PASS


def judge(grade_id: str, evidence: Evidence, reto: dict[str, np.ndarray]) -> Verdict:
    """Each cell checks what its in-kernel tests check (visible and hidden), on this run's inputs."""
    if grade_id == "test_ej1_contar_parametros":
        return _judge_ej1(evidence.value("ej1"), reto)
    if grade_id == "test_ej4_campo_receptivo":
        return _judge_ej4(evidence.value("ej4"), reto)
    if grade_id == "test_ej9_desglose_parametros":
        return _judge_ej9(evidence.value("ej9"), reto)
    from tlcourse.grader.judges import bloques_modelos

    check = bloques_modelos.CHECKS.get(grade_id)
    if check is None:
        return fail(f"celda sin juez: {grade_id}")
    problem = check(evidence, reto)
    return fail(problem) if problem else PASS


warm = _keras.warm_tensorflow  # the judge's warm-up: TensorFlow only
