"""Judge of 06_proyecto: the student's own TensorFlow pipeline for 8x8 digits.

* ej1 ``preparar_digitos`` is evaluated on digits drawn for this run plus blank, full and
  one-corner images whose corners are drawn too.
* ej2 ``construir_congelado``: the model comes back as config plus weights; the judge checks
  the course handle, compares the frozen base with the published weights, runs the model on
  digits it prepares itself, and checks that the compiled loss matches the output
  (probabilities with a plain cross-entropy, logits with ``from_logits=True``).
* ej3 ``entrenar``: the probe hands it a head on backbone features of the budget digits with
  the labels permuted for this run, and records what reached ``fit``; the judge checks that
  the validation rows come from the training data and are kept out of training, and
  recomputes the trained head's accuracy on held-out test digits whose features it computes.
* ej4 ``construir_ajuste_fino``: after a phase-1 step, one training step in the kernel must
  move the base (the model was recompiled) and move the head exactly as a fresh Adam's first
  step does; the learning rate is read off that step and compared with ``tasa_base``.
* ej5 ``entrenar_pipeline``: trained by the probe on the budget digits with permuted labels
  and a preprocessing the grader chooses (passed as ``preparar``); the judge rebuilds the
  returned model and recomputes its accuracy on the held-out test digits, prepared the same
  way, against the permuted labels it knows.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from tlcourse.grader.judging import PASS, Evidence, EvidenceError, Verdict, check_classes, fail
from tlcourse.model_checks import LOGITS, output_kind, reference_loss
from tlcourse.grader.judges import _keras
from tlcourse.grader.judges.ajuste import adam_first_step
from tlcourse.grader.judges.extraccion import COMPILE_CLASSES, _loss_value
from tlcourse.grader.hidden_test_helpers import accuracy

#: ej3: accuracy the head trained by ``entrenar`` must reach on held-out test digits;
#: share of the training digits the validation part may take.
MIN_ACCURACY_HEAD, VALIDATION_SHARE = 0.70, (0.1, 0.4)
#: ej5: held-out accuracy of the pipeline and CPU seconds to train it (as the in-kernel test: a busy machine adds none).
MIN_ACCURACY, MAX_SECONDS = 0.80, 30.0

_IMPORTS = ("import time, inspect, numpy as np, tensorflow as tf, tensorflow_hub as hub, tlcourse.hub\n"
            "from tlcourse import digits\n"
            "_espec = tlcourse.hub.backbone_spec()\n"
            # the grader's own preprocessing (the judge's _reference_input): nearest-neighbour
            # upsampling of 0-16 digits to [0, 1], grey repeated in 3 channels
            "def _preparar_ref(imagenes):\n"
            "    x = np.asarray(imagenes, dtype=np.float32) / 16.0\n"
            "    f = _espec.image_size // 8\n"
            "    x = np.repeat(np.repeat(x, f, axis=1), f, axis=2)\n"
            "    return np.repeat(x[..., np.newaxis], 3, axis=-1)\n")

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
    "test_ej2_construir_congelado": _IMPORTS + (
        "_estado = {}\n"
        "def _ej2():\n"
        "    _estado['m'] = construir_congelado(int(RETO['ej2_k']), _preparar_ref(RETO['ej2_x']))\n"
        "    return _estado['m']\n"
        "registrar('ej2', _ej2)\n"
        "def _ej2_compilado():\n"
        "    m = _estado['m']\n"
        "    compilado = getattr(m, 'optimizer', None) is not None and getattr(m, 'loss', None) is not None\n"
        "    return {'compilado': compilado, 'config': m.get_compile_config() if compilado else None}\n"
        "registrar('ej2_compilado', _ej2_compilado)\n"
    ),
    "test_ej3_entrenar": _IMPORTS + (
        "_estado = {'llamadas': []}\n"
        "class _Espia(tf.keras.Sequential):\n"
        "    def fit(self, *args, **kwargs):\n"
        "        a = inspect.signature(super().fit).bind(*args, **kwargs).arguments\n"
        "        v = a.get('validation_data')\n"
        "        _estado['llamadas'].append({\n"
        "            'x': np.asarray(a.get('x'), dtype=np.float32),\n"
        "            'val': np.asarray(v[0], dtype=np.float32) if isinstance(v, (tuple, list)) else None,\n"
        "            'split': float(a.get('validation_split') or 0.0)})\n"
        "        return super().fit(*args, **kwargs)\n"
        "def _ej3():\n"
        "    x, y = digits.train_subset(digits.BUDGET)\n"
        "    base = tf.keras.Sequential([tf.keras.Input((_espec.image_size, _espec.image_size, 3)),\n"
        "                                hub.KerasLayer(_espec.handle, trainable=False)])\n"
        "    f = base.predict(_preparar_ref(x), verbose=0)\n"
        "    tf.keras.utils.set_random_seed(3)\n"
        "    n = tf.keras.layers.Normalization()\n"
        "    n.adapt(f)\n"
        "    m = _Espia([tf.keras.Input(f.shape[1:]), n, tf.keras.layers.Dense(10, activation='softmax')])\n"
        "    m.compile(tf.keras.optimizers.Adam(0.01), 'sparse_categorical_crossentropy', metrics=['accuracy'])\n"
        "    h = entrenar(m, f.copy(), RETO['ej3_permutacion'][y], epocas=int(RETO['ej3_epocas']))\n"
        "    cabeza = tf.keras.Sequential([tf.keras.Input(f.shape[1:]), tf.keras.layers.Normalization(),\n"
        "                                  tf.keras.layers.Dense(10, activation='softmax')])\n"
        "    cabeza.build((None, f.shape[1]))\n"
        "    cabeza.set_weights(m.get_weights())\n"
        "    _estado.update(x=f, cabeza=cabeza)\n"
        "    es = isinstance(h, tf.keras.callbacks.History)\n"
        "    return {'es_history': es, 'claves': sorted(h.history) if es else [],\n"
        "            'epocas': len(h.history.get('loss', [])) if es else 0, 'llamadas': len(_estado['llamadas'])}\n"
        "registrar('ej3', _ej3)\n"
        "registrar('ej3_x', lambda: _estado['x'])\n"
        "registrar('ej3_cabeza', lambda: _estado['cabeza'])\n"
        "registrar('ej3_x_fit', lambda: _estado['llamadas'][0]['x'])\n"
        "registrar('ej3_split', lambda: _estado['llamadas'][0]['split'])\n"
        "registrar('ej3_x_val', lambda: _estado['llamadas'][0]['val'] if _estado['llamadas'][0]['val'] is not None\n"
        "          else np.zeros((0, _estado['x'].shape[1]), np.float32))\n"
    ),
    "test_ej4_construir_ajuste_fino": _IMPORTS + (
        "def _ej4_fase1():\n"
        "    tf.keras.utils.set_random_seed(4)\n"
        "    m = tf.keras.Sequential([tf.keras.Input((_espec.image_size, _espec.image_size, 3)),\n"
        "                             hub.KerasLayer(_espec.handle, trainable=False),\n"
        "                             tf.keras.layers.Dense(10, activation='softmax')])\n"
        "    m.compile(tf.keras.optimizers.Adam(float(RETO['ej4_tasa0'])), 'sparse_categorical_crossentropy',\n"
        "              metrics=['accuracy'])\n"
        "    m.train_on_batch(RETO['ej4_x'], RETO['ej4_y'])\n"
        "    return m\n"
        "_m4 = _ej4_fase1()\n"
        "registrar('ej4_mismo', lambda: construir_ajuste_fino(_m4, float(RETO['ej4_tasa_base'])) is _m4)\n"
        "registrar('ej4_antes', lambda: _m4)\n"
        "registrar('ej4_despues', lambda: (_m4.train_on_batch(RETO['ej4_x'], RETO['ej4_y']), _m4)[1])\n"
    ),
    "test_ej5_entrenar_pipeline": _IMPORTS + (
        "_estado = {}\n"
        "def _ej5():\n"
        "    x, y = digits.train_subset(digits.BUDGET)\n"
        "    inicio = time.process_time()\n"
        "    m = entrenar_pipeline(x.copy(), RETO['ej5_permutacion'][y], preparar=_preparar_ref)\n"
        "    _estado['m'] = m\n"
        "    return {'keras': isinstance(m, tf.keras.Model), 'segundos': time.process_time() - inicio}\n"
        "registrar('ej5', _ej5)\n"
        "registrar('ej5_modelo', lambda: _estado['m'])\n"
    ),
}


def _digits():  # type: ignore[no-untyped-def]
    from tlcourse import digits

    return digits


def challenge(seed: int) -> dict[str, np.ndarray]:
    """This run's inputs: digits, class counts, label permutations, epochs, learning rates."""
    rng = np.random.default_rng(seed)
    digits = _digits()
    images = digits.load_all()[0]
    corners = np.zeros((2, 8, 8))
    corners[0, :4, 4:] = rng.integers(8, 17, size=(4, 4))   # a stroke at the top right
    corners[1, 4:, :4] = rng.integers(8, 17, size=(4, 4))   # and one at the bottom left
    return {
        "ej1_x": images[rng.choice(len(images), 40, replace=False)],
        "ej1_esquinas": corners,
        "ej2_k": np.array(int(rng.choice([3, 4, 5, 6, 7, 8, 9, 11, 12]))),
        "ej2_x": images[rng.choice(len(images), 20, replace=False)],
        "ej3_permutacion": rng.permutation(10),
        "ej3_epocas": np.array(int(rng.integers(8, 16))),
        "ej4_x": rng.random((12, 32, 32, 3), dtype=np.float32),
        "ej4_y": rng.permutation(np.arange(12) % 10),
        "ej4_tasa0": np.array(float(10 ** rng.uniform(-3, -2))),
        "ej4_tasa_base": np.array(float(10 ** rng.uniform(-2.5, -1.5))),
        "ej5_permutacion": rng.permutation(10),
    }


def _reference_input(images: np.ndarray) -> np.ndarray:
    """The grader's preprocessing (the probes' ``_preparar_ref``): 0-16 -> [0, 1], nearest-
    neighbour upsampling to the backbone's side, grey repeated in 3 channels."""
    from tlcourse.hub import backbone_spec

    factor = backbone_spec().image_size // 8
    x = np.asarray(images, dtype=np.float32) / 16.0
    x = np.repeat(np.repeat(x, factor, axis=1), factor, axis=2)
    return np.repeat(x[..., np.newaxis], 3, axis=-1)


@lru_cache(maxsize=1)
def _held_out() -> tuple[np.ndarray, np.ndarray]:
    """The held-out test digits (prepared by the grader) and their true labels."""
    x, y = _digits().test_set()
    return _reference_input(x), y


def _array(evidence: Evidence, name: str, what: str = "preparar_digitos debe devolver un arreglo numérico") -> np.ndarray:
    value = evidence.value(name)
    if not isinstance(value, np.ndarray):
        raise EvidenceError(what)
    return value


# --------------------------------------------------------------------------- ej1
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


# --------------------------------------------------------------------------- ej2
def _judge_ej2(evidence: Evidence, reto: dict[str, np.ndarray]) -> Verdict:
    k = int(reto["ej2_k"])
    config = _keras.keras_config(evidence, "ej2")
    problem = _keras.frozen_course_base(config, _keras.raw_weights(evidence, "ej2"))
    if problem:
        return fail(f"construir_congelado: {problem}.")
    model = _keras.hub_model(evidence, "ej2")
    if len(_keras.hub_layers(model)) != 1:
        return fail("El modelo debe tener una sola base hub.KerasLayer.")
    x, _ = _held_out()
    side = x.shape[1]
    if tuple(model.input_shape) != (None, side, side, 3):
        return fail(f"El modelo debe recibir dígitos preparados (lote, {side}, {side}, 3), no {model.input_shape}.")
    if tuple(model.output_shape) != (None, k):
        return fail(f"Con num_clases={k} la salida debe ser (lote, {k}), no {model.output_shape}: usa num_clases.")
    base_ids = {id(v) for v in _keras.hub_layers(model)[0].weights}
    if not model.trainable_weights or any(id(v) in base_ids for v in model.trainable_weights):
        return fail("Los pesos entrenables deben ser los de la cabeza nueva (y debe tenerlos).")
    norms = [layer for layer in model.layers if type(layer).__name__ == "Normalization"]
    expected = _keras.features_of_inputs(_reference_input(reto["ej2_x"])).mean(axis=0)
    if len(norms) != 1 or not norms[0].get_weights() or np.size(norms[0].get_weights()[0]) != len(expected):
        return fail("Estandariza las características de la base con una capa tf.keras.layers.Normalization.")
    if not np.allclose(np.ravel(norms[0].get_weights()[0]), expected, atol=1e-3):
        return fail("La capa Normalization debe estar adaptada (adapt) a las características que la base da para x.")
    outputs = np.asarray(model(x[:32], training=False))
    kind = output_kind(outputs)
    if kind is None:
        return fail("La salida debe ser probabilidades (softmax) o logits (sin activación): "
                    "¿usaste sigmoid o relu en la última capa?")
    compiled = evidence.value("ej2_compilado")
    if not isinstance(compiled, dict) or not compiled.get("compilado") or not isinstance(compiled.get("config"), dict):
        return fail("construir_congelado debe compilar el modelo (modelo.compile(...)) antes de devolverlo.")
    settings = compiled["config"]
    check_classes(settings, COMPILE_CLASSES)
    labels = np.arange(len(outputs)) % k
    try:
        loss = _loss_value(settings.get("loss"), outputs.astype(np.float32), labels)
    except Exception:  # noqa: BLE001  (a loss that cannot take integer labels)
        loss = float("nan")
    if not np.isclose(loss, reference_loss(outputs, labels, kind), rtol=1e-3, atol=1e-4):
        hint = ("tu salida son logits: agrega activation='softmax' a la última capa o usa "
                "SparseCategoricalCrossentropy(from_logits=True)") if kind == LOGITS else (
                "tu salida ya son probabilidades: no uses from_logits=True")
        return fail(f"La pérdida no es la entropía cruzada de las etiquetas enteras para tu salida: {hint}.")
    if str((settings.get("optimizer") or {}).get("class_name", settings.get("optimizer"))).lower() != "adam":
        return fail("Usa el optimizador Adam.")
    return PASS


# --------------------------------------------------------------------------- ej3
def _rows(found: np.ndarray, rows: np.ndarray) -> list[int] | None:
    """Index in ``rows`` of every row of ``found`` (None if one is not there)."""
    if found.ndim != 2 or found.shape[1] != rows.shape[1]:
        return None
    if not len(found):
        return []
    distances = np.abs(found[:, np.newaxis, :] - rows[np.newaxis, :, :]).max(axis=2)
    nearest = distances.argmin(axis=1)
    tolerance = 1e-4 * (1.0 + np.abs(rows).max())
    if not np.all(distances[np.arange(len(found)), nearest] <= tolerance):
        return None
    return [int(i) for i in nearest]


def _judge_ej3(evidence: Evidence, reto: dict[str, np.ndarray]) -> Verdict:
    state = evidence.value("ej3")
    if not isinstance(state, dict) or state.get("es_history") is not True:
        return fail("entrenar debe devolver el History de modelo.fit(...).")
    epochs = int(reto["ej3_epocas"])
    if state.get("epocas") != epochs:
        return fail(f"Con epocas={epochs}, entrenar entrenó {state.get('epocas')} épocas: usa el argumento epocas.")
    if state.get("llamadas") != 1:
        return fail("entrenar debe llamar a modelo.fit una sola vez.")
    if "val_loss" not in state.get("claves", []):
        return fail("entrenar debe validar: pasa a fit validation_split o validation_data con una parte de x, y.")
    x = _array(evidence, "ej3_x", "evidencia ej3_x mal formada")
    seen = _array(evidence, "ej3_x_fit", "entrenar debe pasar a fit un arreglo de ejemplos")
    validation = _array(evidence, "ej3_x_val", "validation_data debe ser una tupla (x_val, y_val)")
    if len(validation) == 0:  # validation_split: Keras keeps the last part of what fit received
        split = evidence.value("ej3_split")
        if not isinstance(split, float) or not 0 < split < 1:
            return fail("entrenar debe validar con una parte de los datos de entrenamiento.")
        cut = int(np.floor(len(seen) * (1.0 - split)))
        seen, validation = seen[:cut], seen[cut:]
    trained, validated = _rows(seen, x), _rows(validation, x)
    if validated is None:
        return fail("La validación debe salir de los datos de entrenamiento que recibe entrenar (x, y), "
                    "nunca del conjunto de prueba ni de otros datos.")
    if trained is None:
        return fail("entrenar debe entrenar con los ejemplos que recibe (x, y).")
    if set(trained) & set(validated):
        return fail("Los ejemplos de validación no deben usarse también para entrenar: sepáralos.")
    share = len(set(validated)) / len(x)
    if not VALIDATION_SHARE[0] <= share <= VALIDATION_SHARE[1]:
        return fail(f"La validación tiene el {share:.0%} de los ejemplos: separa alrededor del 20 %.")
    if set(trained) | set(validated) != set(range(len(x))):
        return fail("Los ejemplos que no van a validación deben usarse para entrenar.")
    head = evidence.keras_model("ej3_cabeza")
    images, labels = _held_out()
    features = _keras.features_of_inputs(images)
    if tuple(head.input_shape) != (None, features.shape[1]) or tuple(head.output_shape) != (None, 10):
        return fail("entrenar no debe cambiar la arquitectura del modelo que recibe.")
    reached = accuracy(head(features, training=False), reto["ej3_permutacion"][labels])
    if reached < MIN_ACCURACY_HEAD:
        return fail(f"Entrenada con tu función, una cabeza de referencia acierta {reached:.3f} en dígitos de "
                    "prueba retenidos: ¿entrenó de verdad las épocas pedidas?")
    return PASS


# --------------------------------------------------------------------------- ej4
def _head_kernel(model: Any) -> Any:
    dense = [layer for layer in model.layers if type(layer).__name__ == "Dense"]
    if not dense:
        raise EvidenceError("el modelo perdió su cabeza Dense")
    return dense[-1].kernel


def _judge_ej4(evidence: Evidence, reto: dict[str, np.ndarray]) -> Verdict:
    if evidence.value("ej4_mismo") is not True:
        return fail("construir_ajuste_fino debe devolver el modelo que recibe (return modelo).")
    config = _keras.keras_config(evidence, "ej4_antes")
    classes = [layer.get("class_name") for layer in config.get("config", {}).get("layers", [])
               if layer.get("class_name") != "InputLayer"]
    if classes != [_keras.HUB_CLASS, "Dense"] or _keras.keras_config(evidence, "ej4_despues") != config:
        return fail("construir_ajuste_fino no debe cambiar las capas del modelo.")
    if _keras.hub_configs(config)[0].get("trainable") is not True:
        return fail("La base sigue congelada: descongélala con trainable=True.")
    before = _keras.hub_model(evidence, "ej4_antes")
    # The model after the step has the same config (checked above), so its weights, read without
    # rebuilding it (which would load the backbone's SavedModel once more), come in the order of
    # ``before.weights``.
    after = _keras.raw_weights(evidence, "ej4_despues")
    slot = {id(variable): i for i, variable in enumerate(before.weights)}
    if len(after) != len(before.weights) or any(
            np.shape(a) != tuple(v.shape) for a, v in zip(after, before.weights)):
        return fail("construir_ajuste_fino no debe cambiar las capas del modelo.")
    base_before = _keras.hub_layers(before)[0]
    base_after = [after[slot[id(variable)]] for variable in base_before.trainable_weights]
    if _keras.same_weights(base_after, [np.asarray(w) for w in base_before.trainable_weights]):
        return fail("Tras descongelar la base y llamar a construir_ajuste_fino, un paso de entrenamiento no "
                    "cambió la base: hay que volver a compilar el modelo.")
    tf = _keras.tf()
    kernel = _head_kernel(before)
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.keras.losses.sparse_categorical_crossentropy(
            reto["ej4_y"], before(reto["ej4_x"], training=True)))
    gradient = np.asarray(tape.gradient(loss, kernel))
    delta = after[slot[id(kernel)]] - np.asarray(kernel)
    if not np.any(delta):
        return fail("Tras construir_ajuste_fino, un paso de entrenamiento no cambió la cabeza.")
    lr, residual = adam_first_step(delta, gradient)
    if residual > 0.02:
        return fail("El primer paso tras construir_ajuste_fino no es el de un optimizador Adam nuevo con la "
                    "pérdida sparse_categorical_crossentropy: recompila con un Adam nuevo.")
    base = float(reto["ej4_tasa_base"])
    if not 0 < lr <= base / 10 * 1.02:
        return fail(f"La tasa del ajuste fino es {lr:.2g}: debe ser al menos 10 veces menor que tasa_base={base:.2g}.")
    if lr < base / 100 * 0.98:
        return fail(f"La tasa {lr:.2g} es más de 100 veces menor que tasa_base={base:.2g}: casi no aprendería.")
    return PASS


# --------------------------------------------------------------------------- ej5
def _judge_ej5(evidence: Evidence, reto: dict[str, np.ndarray]) -> Verdict:
    state = evidence.value("ej5")
    if not isinstance(state, dict) or state.get("keras") is not True:
        return fail("entrenar_pipeline debe devolver el modelo de Keras entrenado (con la base del curso).")
    model = _keras.hub_model(evidence, "ej5_modelo")
    if len(_keras.hub_layers(model)) != 1:
        return fail("El modelo de tu pipeline debe contener la base del curso (un hub.KerasLayer).")
    images, labels = _held_out()
    if tuple(model.output_shape) != (None, 10):
        return fail(f"La salida del modelo debe ser (lote, 10), no {model.output_shape}.")
    outputs = np.concatenate([np.asarray(model(images[i:i + 300], training=False))
                              for i in range(0, len(images), 300)])
    reached = accuracy(outputs, reto["ej5_permutacion"][labels])
    if reached < MIN_ACCURACY:
        return fail(f"Tu pipeline acierta el {reached:.1%} de los dígitos de prueba retenidos: no alcanza el "
                    "umbral. Revisa que prepares los dígitos con el argumento `preparar`, al entrenar y al predecir.")
    seconds = state.get("segundos")
    if not isinstance(seconds, (int, float)) or not 0 <= seconds <= MAX_SECONDS:
        return fail(f"Entrenar el pipeline debe tomar como mucho {MAX_SECONDS:.0f} s de CPU.")
    return PASS


JUDGES = {
    "test_ej1_preparar_digitos": _judge_ej1,
    "test_ej2_construir_congelado": _judge_ej2,
    "test_ej3_entrenar": _judge_ej3,
    "test_ej4_construir_ajuste_fino": _judge_ej4,
    "test_ej5_entrenar_pipeline": _judge_ej5,
}


def judge(grade_id: str, evidence: Evidence, reto: dict[str, np.ndarray]) -> Verdict:
    """Each cell checks what its in-kernel test checks (visible and hidden), on this run's inputs."""
    decide = JUDGES.get(grade_id)
    if decide is None:
        return fail(f"celda sin juez: {grade_id}")
    return decide(evidence, reto)


def warm() -> None:
    """TensorFlow, the published backbone and the held-out data, before any evidence exists."""
    _keras.warm()
    _held_out()
