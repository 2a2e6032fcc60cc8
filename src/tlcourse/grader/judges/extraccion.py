"""Judge of 03_extraccion_caracteristicas: feature extraction with the frozen course backbone.

Each exercise is evaluated on inputs drawn for this run: images and output sizes for
``preprocesar``, class counts and feature sizes for ``cabeza`` and ``modelo_completo``, a
fixed linear model for ``compilar`` (so the judge knows its predictions), a permutation of
the class labels for ``entrenar`` (weights trained for another run are useless) and fixed
linear models for ``exactitud``. Models come back as config plus weights; the judge checks
the backbone's handle, compares the frozen base with the published weights, recomputes the
loss from predictions and labels and the held-out accuracy from the trained weights on
test images the judge draws and whose features it computes itself.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tlcourse.grader.judging import PASS, Evidence, EvidenceError, Verdict, fail
from tlcourse.model_checks import LOGITS, PROBABILITIES, output_kind, reference_loss
from tlcourse.grader.judges import _keras
from tlcourse.grader.hidden_test_helpers import accuracy

#: Held-out test images the judge draws per run, and the accuracy the trained head must reach
#: (the in-kernel test: 1000 test images, 0.75).
HELD_OUT, MIN_ACCURACY = 1000, 0.75

_IMPORTS = ("import numpy as np, tensorflow as tf, tensorflow_hub as hub, tlcourse.hub\n"
            "_handle = tlcourse.hub.backbone_spec().handle\n")

PROBES = {
    "test_ej1_preprocesar": (
        "import numpy as np\n"
        "registrar('ej1_campo', lambda: np.asarray(preprocesar(RETO['ej1_campo'].copy())))\n"
        "registrar('ej1_catalogo', lambda: np.asarray(preprocesar(RETO['ej1_catalogo'].copy())))\n"
        "registrar('ej1_campo_t', lambda: np.asarray(preprocesar(RETO['ej1_campo'].copy(), tamano=int(RETO['ej1_tamano']))))\n"
        "registrar('ej1_catalogo_t', lambda: np.asarray(preprocesar(RETO['ej1_catalogo'].copy(), tamano=int(RETO['ej1_tamano']))))\n"
    ),
    "test_ej2_capa_base": _IMPORTS + (
        "registrar('ej2', lambda: tf.keras.Sequential([tf.keras.Input((32, 32, 3)), capa_base(_handle)]))\n"
    ),
    "test_ej3_cabeza": (
        "import tensorflow as tf\n"
        "registrar('ej3_a', lambda: tf.keras.Sequential([tf.keras.Input((int(RETO['ej3_d']),)), cabeza(int(RETO['ej3_k'][0]))]))\n"
        "registrar('ej3_b', lambda: tf.keras.Sequential([tf.keras.Input((int(RETO['ej3_d']),)), cabeza(int(RETO['ej3_k'][1]))]))\n"
    ),
    "test_ej4_modelo": _IMPORTS + (
        "import types\n"
        "def _base(handle, *args, **kwargs):\n"
        "    return hub.KerasLayer(handle, trainable=False)\n"
        "def _cabeza(num_clases, *args, **kwargs):\n"
        "    return tf.keras.layers.Dense(num_clases, activation='softmax')\n"
        "def _ej4(f):\n"
        "    g = dict(f.__globals__, capa_base=_base, cabeza=_cabeza)\n"
        "    m = types.FunctionType(f.__code__, g, f.__name__, f.__defaults__, f.__closure__)(_handle, int(RETO['ej4_k']))\n"
        "    if not m.built:\n"
        "        m.build((None, 32, 32, 3))\n"
        "    return m\n"
        "registrar('ej4', lambda: _ej4(modelo_completo))\n"
    ),
    "test_ej5_compilar": _IMPORTS + (
        "from tlcourse import model_checks\n"
        "registrar('ej5_cabeza', lambda: tf.keras.Sequential([tf.keras.Input((16,)), cabeza(5)]).predict(RETO['ej5_xc'], verbose=0))\n"
        "def _ej5():\n"
        "    try:\n"
        "        tipo = model_checks.output_kind(tf.keras.Sequential([tf.keras.Input((16,)), cabeza(5)]).predict(RETO['ej5_xc'], verbose=0))\n"
        "    except Exception:\n"
        "        tipo = None\n"
        "    capa = tf.keras.layers.Dense(5, activation=None if tipo == model_checks.LOGITS else 'softmax')\n"
        "    ref = tf.keras.Sequential([tf.keras.Input((16,)), capa])\n"
        "    ref.set_weights([RETO['ej5_w'], RETO['ej5_b']])\n"
        "    devuelto = compilar(ref)\n"
        "    compilado = ref.optimizer is not None and ref.loss is not None\n"
        "    return {'devuelve': devuelto is ref, 'compilado': compilado,\n"
        "            'config': ref.get_compile_config() if compilado else None}\n"
        "registrar('ej5', _ej5)\n"
    ),
    "test_ej6_entrenar": _IMPORTS + (
        "import inspect\n"
        "from tlcourse import data\n"
        "class _UnaEpoca(tf.keras.Sequential):\n"
        "    def fit(self, *args, **kwargs):\n"
        "        llamada = inspect.signature(super().fit).bind(*args, **kwargs)\n"
        "        llamada.arguments['epochs'] = 1\n"
        "        return super().fit(*llamada.args, **llamada.kwargs)\n"
        "def _historia(h):\n"
        "    es = isinstance(h, tf.keras.callbacks.History)\n"
        "    return {'es_history': es, 'claves': sorted(h.history) if es else [],\n"
        "            'epocas': len(h.history.get('loss', [])) if es else 0}\n"
        "def _validacion():\n"
        "    tf.keras.utils.set_random_seed(2)\n"
        "    m = _UnaEpoca([tf.keras.Input((8,)), tf.keras.layers.Dense(5, activation='softmax')])\n"
        "    m.compile('adam', 'sparse_categorical_crossentropy', metrics=['accuracy'])\n"
        "    x, y = RETO['ej6_xv'], RETO['ej6_yv']\n"
        "    return _historia(entrenar(m, x, y, validacion=(x[:10], y[:10])))\n"
        "registrar('ej6_validacion', _validacion)\n"
        "_estado = {}\n"
        "def _entrenada():\n"
        "    x, y = data.target_subset(20, 'campo')\n"
        "    extractor = tf.keras.Sequential([tf.keras.Input((32, 32, 3)), hub.KerasLayer(_handle, trainable=False)])\n"
        "    f = extractor.predict(np.repeat((x.astype(np.float32) / 255.0)[..., np.newaxis], 3, axis=-1), verbose=0)\n"
        "    tf.keras.utils.set_random_seed(0)\n"
        "    ref = tf.keras.Sequential([tf.keras.Input(f.shape[1:]), tf.keras.layers.Dense(5, activation='softmax')])\n"
        "    ref.compile(tf.keras.optimizers.Adam(0.01), 'sparse_categorical_crossentropy', metrics=['accuracy'],\n"
        "                steps_per_execution=100)\n"  # the same training (same batches, same order) in fewer calls
        "    tf.keras.utils.set_random_seed(1)\n"
        "    h = entrenar(ref, f, RETO['ej6_permutacion'][y])\n"
        "    _estado['ref'] = ref\n"
        "    return _historia(h)\n"
        "registrar('ej6_historia', _entrenada)\n"
        "registrar('ej6_cabeza', lambda: _estado['ref'])\n"
        "def _exactitudes():\n"
        "    m = tf.keras.Sequential([tf.keras.Input((RETO['ej6_w'].shape[1],)),\n"
        "                             tf.keras.layers.Dense(RETO['ej6_w'].shape[2], use_bias=False)])\n"
        "    m.compile('adam', 'sparse_categorical_crossentropy', metrics=['accuracy'])\n"
        "    valores = []\n"
        "    for i in range(len(RETO['ej6_w'])):\n"
        "        m.set_weights([RETO['ej6_w'][i]])\n"
        "        v = exactitud(m, RETO['ej6_x'][i], RETO['ej6_y'][i])\n"
        "        valores.append([isinstance(v, float), float(v)])\n"
        "    return valores\n"
        "registrar('ej6_exactitud', _exactitudes)\n"
    ),
    "test_ej7_congelar": _IMPORTS + (
        "_estado = {}\n"
        "def _congelar():\n"
        "    tf.keras.utils.set_random_seed(3)\n"
        "    m = tf.keras.Sequential([tf.keras.Input((32, 32, 3)), hub.KerasLayer(_handle, trainable=True),\n"
        "                             tf.keras.layers.Dense(5, activation='softmax')])\n"
        "    m.compile('adam', 'sparse_categorical_crossentropy', metrics=['accuracy'])\n"
        "    m.fit(RETO['ej7_x'], RETO['ej7_y'], epochs=1, batch_size=len(RETO['ej7_y']), verbose=0)\n"
        "    devuelto = congelar_base(m)\n"
        "    _estado['m'] = m\n"
        "    return {'devuelve': devuelto is m, 'compilado': m.optimizer is not None and m.loss is not None}\n"
        "registrar('ej7_congelar', _congelar)\n"
        "registrar('ej7_antes', lambda: _estado['m'])\n"
        "def _entrenar():\n"
        "    _estado['m'].fit(RETO['ej7_x'], RETO['ej7_y'], epochs=1, batch_size=len(RETO['ej7_y']), verbose=0)\n"
        "    return _estado['m']\n"
        "registrar('ej7_despues', _entrenar)\n"
        "registrar('ej7_metricas', lambda: list(_estado['m'].metrics_names))\n"
    ),
}


# --------------------------------------------------------------------------- the challenge
def _test_images(condition: str):  # type: ignore[no-untyped-def]
    from tlcourse.data import load_task

    return load_task("target", "test", condition)


def _head_inputs(rng: np.random.Generator, n: int, d: int) -> np.ndarray:
    """``n`` inputs of size ``d`` for a fresh head, in pairs x, -x, at scales from 0.05 to 20.

    A linear head without activation (zero bias, as Keras builds it) gives every output both
    signs and values above 1, so it always reads as logits; the rows of moderate scale keep a
    sigmoid or ReLU output from summing to 1 on every row. With positive inputs at one scale,
    a 2-unit logits head read as neither in about one run in 1 600; with pairs at that scale
    alone, a saturated 2-unit sigmoid read as probabilities in about one head in 900.
    """
    half = np.abs(rng.normal(size=(n // 2, d))) * np.exp(rng.uniform(np.log(0.05), np.log(20.0), (n // 2, 1)))
    return np.concatenate([half, -half]).astype(np.float32)


def challenge(seed: int) -> dict[str, np.ndarray]:
    """This run's inputs (the kernel sees them; the held-out labels stay in the judge)."""
    rng = np.random.default_rng(seed)
    campo, catalogo = _test_images("campo")[0], _test_images("catalogo")[0]
    d, n6 = int(rng.integers(8, 49)), int(rng.integers(3, 6))
    ej3_x, ej5_xc = _head_inputs(rng, 128, d), _head_inputs(rng, 64, 16)
    return {
        "ej1_campo": campo[rng.choice(len(campo), int(rng.integers(4, 9)), replace=False)],
        "ej1_catalogo": catalogo[rng.choice(len(catalogo), int(rng.integers(4, 9)), replace=False)],
        "ej1_tamano": np.array(int(rng.choice([40, 48, 64, 80, 96]))),
        "ej2_x": rng.random((8, 32, 32, 3), dtype=np.float32),
        "ej3_d": np.array(d),
        "ej3_k": rng.choice(np.arange(2, 10), 2, replace=False),
        "ej3_x": ej3_x,
        "ej4_k": np.array(int(rng.choice([2, 3, 4, 6, 7, 8, 9]))),
        "ej5_xc": ej5_xc,
        "ej5_w": rng.normal(0, 0.5, (16, 5)).astype(np.float32),
        "ej5_b": rng.normal(0, 0.1, 5).astype(np.float32),
        "ej5_x": rng.normal(size=(40, 16)).astype(np.float32),
        "ej5_y": rng.integers(0, 5, 40),
        "ej6_xv": rng.normal(size=(30, 8)).astype(np.float32),
        "ej6_yv": rng.permutation(np.arange(30) % 5),
        "ej6_permutacion": rng.permutation(5).astype(np.uint8),
        "ej6_prueba": np.sort(rng.choice(len(campo), HELD_OUT, replace=False)),
        "ej6_w": rng.normal(size=(n6, 6, 5)).astype(np.float32),
        "ej6_x": rng.normal(size=(n6, 300, 6)).astype(np.float32),
        "ej6_y": rng.integers(0, 5, (n6, 300)),
        "ej7_x": rng.random((25, 32, 32, 3), dtype=np.float32),
        "ej7_y": rng.permutation(np.arange(25) % 5),
    }


def _held_out(reto: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """This run's held-out test images and labels for exercise 6. The kernel may know which
    they are (the test set is course data): the permuted labels are what it cannot precompute."""
    x, y = _test_images("campo")
    chosen = reto["ej6_prueba"]
    return x[chosen], y[chosen]


# --------------------------------------------------------------------------- exercise 1
def _array(evidence: Evidence, name: str) -> np.ndarray:
    value = evidence.value(name)
    if not isinstance(value, np.ndarray):
        raise EvidenceError("preprocesar debe devolver un arreglo numérico")
    return value


def _common_ej1(p: np.ndarray, n: int, side: int, what: str) -> str | None:
    if p.shape != (n, side, side, 3):
        return f"con imágenes de {what} la salida debe tener forma (n, {side}, {side}, 3), no {p.shape}"
    if p.dtype != np.float32:
        return f"la salida debe ser float32, no {p.dtype}"
    if not (p.min() >= 0 and p.max() <= 1):
        return f"los valores deben estar en [0, 1]; con {what} van de {p.min():.3f} a {p.max():.3f}"
    return None


def _judge_ej1(evidence: Evidence, reto: dict[str, np.ndarray]) -> Verdict:
    campo, catalogo, side = reto["ej1_campo"], reto["ej1_catalogo"], int(reto["ej1_tamano"])
    for name, x, what in (("ej1_campo", campo, "campo (32×32)"), ("ej1_catalogo", catalogo, "catálogo (28×28)")):
        p = _array(evidence, name)
        problem = _common_ej1(p, len(x), 32, what)
        if problem:
            return fail(f"Con otras imágenes, {problem}.")
        if not (np.array_equal(p[..., 0], p[..., 1]) and np.array_equal(p[..., 0], p[..., 2])):
            return fail("Los tres canales deben ser iguales (gris repetido).")
    p = _array(evidence, "ej1_campo")
    if not np.allclose(p[..., 0], campo / 255.0, atol=1e-6):
        return fail("Con otras imágenes de campo, cada píxel debe valer su valor / 255 (escalar una sola vez).")
    p = _array(evidence, "ej1_catalogo")
    if not np.allclose(p[:, 2:30, 2:30, 0], catalogo / 255.0, atol=1e-6):
        return fail("Las imágenes de 28×28 deben quedar centradas sin estirar: 2 píxeles de relleno por lado.")
    border = np.concatenate([p[:, :2].ravel(), p[:, 30:].ravel(), p[:, :, :2].ravel(), p[:, :, 30:].ravel()])
    if not np.all(border == 0):
        return fail("El relleno de las imágenes de 28×28 debe ser negro (0).")
    p = _array(evidence, "ej1_campo_t")
    if p.shape != (len(campo), side, side, 3) or p.dtype != np.float32:
        return fail(f"Con tamano={side} la salida debe ser float32 (n, {side}, {side}, 3).")
    if not (p.min() >= 0 and p.max() <= 1 and np.isclose(p.mean(), campo.mean() / 255.0, rtol=0.03)):
        return fail("Al redimensionar, los valores deben seguir en [0, 1] con el mismo brillo medio.")
    p = _array(evidence, "ej1_catalogo_t")
    if p.shape != (len(catalogo), side, side, 3):
        return fail(f"Con imágenes de 28×28 y tamano={side} la salida debe ser (n, {side}, {side}, 3).")
    if not np.isclose(p.mean(), catalogo.mean() / 255.0 * (28 / 32) ** 2, rtol=0.03):
        return fail(f"Con 28×28 y tamano={side}: primero rellenar a 32×32 y después redimensionar.")
    return PASS


# --------------------------------------------------------------------------- exercises 2 and 4
def _frozen_base(model: Any, reto: dict[str, np.ndarray]) -> str | None:
    """The one course base of ``model``: frozen, published weights, unchanged in training mode."""
    bases = _keras.hub_layers(model)
    if len(bases) != 1:
        return "el modelo debe contener exactamente una base hub.KerasLayer"
    base = bases[0]
    if base.trainable or base.trainable_weights or not base.non_trainable_weights:
        return "la base debe estar congelada (trainable=False): sin pesos entrenables"
    if not _keras.same_weights(base.get_weights(), _keras.published_weights()):
        return "los pesos de la base no son los publicados del backbone del curso"
    before = [w.copy() for w in base.get_weights()]
    base(reto["ej2_x"], training=True)
    if not _keras.same_weights(base.get_weights(), before):
        return "llamar a la base en modo entrenamiento cambió sus estadísticas de BatchNormalization"
    return None


def _judge_ej2(evidence: Evidence) -> Verdict:
    config = _keras.keras_config(evidence, "ej2")
    layers = [l for l in config.get("config", {}).get("layers", []) if l.get("class_name") != "InputLayer"]
    if len(layers) != 1 or layers[0].get("class_name") != _keras.HUB_CLASS:
        return fail("capa_base debe devolver un hub.KerasLayer.")
    weights = _keras.raw_weights(evidence, "ej2")
    problem = _keras.frozen_course_base(config, weights)
    if problem is None and len(weights) != len(_keras.published_weights()):
        problem = "la capa base no debe tener más pesos que los del backbone"
    return fail(f"La capa base: {problem}.") if problem else PASS


def _judge_ej4(evidence: Evidence, reto: dict[str, np.ndarray]) -> Verdict:
    model, k = _keras.hub_model(evidence, "ej4"), int(reto["ej4_k"])
    if tuple(model.input_shape) != (None, 32, 32, 3):
        return fail(f"El modelo debe recibir imágenes (lote, 32, 32, 3), no {model.input_shape}.")
    if tuple(model.output_shape) != (None, k):
        return fail(f"Con num_clases={k} la salida debe ser (lote, {k}), no {model.output_shape}: usa num_clases.")
    problem = _frozen_base(model, reto)
    if problem:
        return fail(f"modelo_completo: {problem}.")
    base_ids = {id(v) for v in _keras.hub_layers(model)[0].weights}
    if not model.trainable_weights or any(id(v) in base_ids for v in model.trainable_weights):
        return fail("Los pesos entrenables del modelo deben ser los de la cabeza (y debe tenerlos).")
    images = _keras.to_backbone_input(_test_images("campo")[0][:16])
    if output_kind(np.asarray(model(images, training=False))) is None:
        return fail("La salida del modelo debe ser probabilidades o logits.")
    return PASS


# --------------------------------------------------------------------------- exercise 3
def _judge_ej3(evidence: Evidence, reto: dict[str, np.ndarray]) -> Verdict:
    x = reto["ej3_x"]
    for name, k in (("ej3_a", int(reto["ej3_k"][0])), ("ej3_b", int(reto["ej3_k"][1]))):
        model = evidence.keras_model(name)
        out = np.asarray(model(x, training=False))
        if out.shape != (len(x), k):
            return fail(f"cabeza({k}) debe devolver (lote, {k}), no {out.shape}: usa num_clases.")
        if output_kind(out) is None:
            return fail("La salida de la cabeza debe ser probabilidades (softmax) o logits (sin activación): "
                        "¿usaste sigmoid o relu en la última capa?")
        if not model.trainable_weights:
            return fail("La cabeza debe tener pesos entrenables.")
    return PASS


# --------------------------------------------------------------------------- exercise 5
#: Classes a compile config may name (built-in losses, metrics and optimizers, no code).
COMPILE_CLASSES = {"SparseCategoricalCrossentropy", "CategoricalCrossentropy", "BinaryCrossentropy",
                   "MeanSquaredError", "SparseCategoricalAccuracy", "CategoricalAccuracy", "Accuracy",
                   "Adam", "AdamW", "SGD", "RMSprop", "Adagrad", "Nadam", "Adamax", "ExponentialDecay",
                   "LossesContainer", "MetricsContainer"}
ACCURACY_NAMES = {"accuracy", "acc", "sparse_categorical_accuracy"}


def _class_name(entry: Any) -> str:
    return str(entry.get("class_name", "")) if isinstance(entry, dict) else str(entry)


def _loss_value(loss: Any, outputs: np.ndarray, labels: np.ndarray) -> float:
    function = _keras.tf().keras.losses.get(loss)
    return float(np.mean(np.asarray(function(labels, outputs))))


def _metric_entries(metrics: Any) -> list[Any]:
    if isinstance(metrics, dict):
        return [e for value in metrics.values() for e in _metric_entries(value)]
    return [e for value in metrics for e in _metric_entries(value)] if isinstance(metrics, list) else [metrics]


def _judge_ej5(evidence: Evidence, reto: dict[str, np.ndarray]) -> Verdict:
    try:
        kind = output_kind(evidence.value("ej5_cabeza")) or PROBABILITIES
    except EvidenceError:
        kind = PROBABILITIES  # as the in-kernel test: a failing head is assumed softmax
    got = evidence.value("ej5")
    if not isinstance(got, dict) or not got.get("compilado") or not isinstance(got.get("config"), dict):
        return fail("compilar debe llamar a modelo.compile(optimizer=..., loss=..., metrics=...).")
    if got.get("devuelve") is not True:
        return fail("compilar debe devolver el modelo que recibe, ya compilado (termina con return modelo).")
    config = got["config"]
    from tlcourse.grader.judging import check_classes

    check_classes(config, COMPILE_CLASSES)
    logits = reto["ej5_x"] @ reto["ej5_w"] + reto["ej5_b"]
    outputs = logits if kind == LOGITS else np.exp(logits - logits.max(1, keepdims=True))
    if kind != LOGITS:
        outputs = (outputs / outputs.sum(1, keepdims=True)).astype(np.float32)
    labels = reto["ej5_y"]
    try:
        loss = _loss_value(config.get("loss"), outputs.astype(np.float32), labels)
    except Exception:  # noqa: BLE001  (a loss that cannot take integer labels)
        loss = float("nan")
    expected = reference_loss(outputs, labels, kind)
    if not np.isclose(loss, expected, rtol=1e-3, atol=1e-4):
        return fail("La pérdida no es la entropía cruzada de las etiquetas enteras: revisa que sea "
                    "SparseCategoricalCrossentropy y que from_logits coincida con la salida de tu cabeza.")
    loss_config = config.get("loss")
    from_logits = bool(loss_config.get("config", {}).get("from_logits", False)) if isinstance(loss_config, dict) else False
    if from_logits != (kind == LOGITS):
        return fail("from_logits no coincide con la salida de tu cabeza: True solo si la cabeza devuelve logits.")
    metrics = _metric_entries(config.get("metrics") or [])
    if not any(_class_name(m).lower() in ACCURACY_NAMES or _class_name(m) == "SparseCategoricalAccuracy"
               for m in metrics):
        return fail("La métrica debe ser la exactitud ('accuracy').")
    if _class_name(config.get("optimizer")).lower() != "adam":
        return fail("Usa el optimizador Adam.")
    return PASS


# --------------------------------------------------------------------------- exercise 6
def _judge_ej6(evidence: Evidence, reto: dict[str, np.ndarray]) -> Verdict:
    validation = evidence.value("ej6_validacion")
    if not isinstance(validation, dict) or not validation.get("es_history") or validation.get("epocas", 0) < 1:
        return fail("entrenar debe devolver el History de modelo.fit(...).")
    if "val_loss" not in validation.get("claves", []):
        return fail("Con validacion=(x_val, y_val) hay que pasarla a fit como validation_data.")
    values = evidence.value("ej6_exactitud")
    for i, got in enumerate(values if isinstance(values, list) and len(values) == len(reto["ej6_w"]) else [None]):
        expected = accuracy(reto["ej6_x"][i] @ reto["ej6_w"][i], reto["ej6_y"][i])
        if not (isinstance(got, list) and len(got) == 2 and got[0] is True and isinstance(got[1], float)):
            return fail("exactitud debe devolver un float entre 0 y 1.")
        if not np.isclose(got[1], expected, atol=1e-4):
            return fail("exactitud debe ser la fracción de aciertos (argmax de la salida) con otros modelos y datos.")
    history = evidence.value("ej6_historia")
    if not isinstance(history, dict) or not history.get("es_history"):
        return fail("Sin validacion, entrenar también debe devolver el History de modelo.fit(...).")
    head = evidence.keras_model("ej6_cabeza")
    x, y = _held_out(reto)
    f = _keras.features(x)
    if tuple(head.input_shape) != (None, f.shape[1]) or tuple(head.output_shape) != (None, 5):
        return fail("entrenar no debe cambiar la arquitectura del modelo que recibe.")
    reached = accuracy(head(f, training=False), reto["ej6_permutacion"][y])
    if reached < MIN_ACCURACY:
        return fail(f"Con tu función entrenar, la cabeza de referencia acierta solo {reached:.3f} en imágenes de "
                    "prueba: ¿pocas épocas?")
    return PASS


# --------------------------------------------------------------------------- exercise 7
def _judge_ej7(evidence: Evidence) -> Verdict:
    state = evidence.value("ej7_congelar")
    if not isinstance(state, dict) or state.get("devuelve") is not True:
        return fail("congelar_base debe devolver el mismo modelo.")
    if not state.get("compilado"):
        return fail("El modelo debe quedar compilado.")
    config = _keras.keras_config(evidence, "ej7_antes")
    if _keras.keras_config(evidence, "ej7_despues") != config:
        return fail("Entrenar después de congelar_base no debe cambiar la arquitectura.")
    before, after = _keras.raw_weights(evidence, "ej7_antes"), _keras.raw_weights(evidence, "ej7_despues")
    layers = [l for l in config.get("config", {}).get("layers", []) if l.get("class_name") != "InputLayer"]
    if not layers or layers[0].get("class_name") != _keras.HUB_CLASS or (
            (layers[0].get("config") or {}).get("trainable") is not False):
        return fail("La base (modelo.layers[0]) debe quedar congelada.")
    n = len(_keras.published_weights())  # get_weights(): the base's variables first, then the head's
    if len(before) != len(after) or len(before) <= n:
        return fail("no se pudieron leer los pesos de la base y de la cabeza.")
    if not _keras.same_weights(after[:n], before[:n]):
        return fail("Después de congelar_base, fit siguió cambiando la base: al cambiar trainable hay que "
                    "volver a compilar.")
    if _keras.same_weights(after[n:], before[n:]):
        return fail("Después de congelar_base la cabeza debe seguir entrenándose.")
    names = evidence.value("ej7_metricas")
    if not isinstance(names, list) or not any("acc" in str(n) for n in names):
        return fail("Vuelve a compilar con la métrica de exactitud.")
    return PASS


def _decide(grade_id: str, evidence: Evidence, reto: dict[str, np.ndarray]) -> Verdict:
    if grade_id == "test_ej1_preprocesar":
        return _judge_ej1(evidence, reto)
    if grade_id == "test_ej2_capa_base":
        return _judge_ej2(evidence)
    if grade_id == "test_ej3_cabeza":
        return _judge_ej3(evidence, reto)
    if grade_id == "test_ej4_modelo":
        return _judge_ej4(evidence, reto)
    if grade_id == "test_ej5_compilar":
        return _judge_ej5(evidence, reto)
    if grade_id == "test_ej6_entrenar":
        return _judge_ej6(evidence, reto)
    if grade_id == "test_ej7_congelar":
        return _judge_ej7(evidence)
    return fail(f"celda sin juez: {grade_id}")


def judge(grade_id: str, evidence: Evidence, reto: dict[str, np.ndarray]) -> Verdict:
    """Each cell checks what its in-kernel test checks (visible and hidden), on this run's inputs."""
    return _decide(grade_id, evidence, reto)


def warm() -> None:
    """TensorFlow, the published backbone and the held-out data, before any evidence exists."""
    _keras.warm()
