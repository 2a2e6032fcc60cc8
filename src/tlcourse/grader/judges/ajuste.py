"""Judge of 04_ajuste_fino: which layers train, BatchNormalization in inference, recompiling,
``initial_epoch``, and the frozen-against-fine-tuned comparison.

Every verdict rests on weights the judge rebuilds and on steps it recomputes itself:

* ej1: the student's function unfreezes a frozen copy of the backbone; the judge rebuilds it
  (config + weights), reads the trainable flags, compares every weight with the published
  backbone, and checks one gradient step taken in the kernel: exactly ``block4_conv1``
  moved, by ``-lr·g`` with the gradient ``g`` the judge computes (BatchNormalization frozen,
  so it ran in inference and its statistics did not move).
* ej2: the model is built on a backbone marked for this run; the judge finds the mark (the
  model uses the backbone it received), and runs the rebuilt model with every layer
  trainable in training mode: the moving statistics must not change (``training=False``).
* ej3: after a phase-1 step, block4 unfrozen and ``compilar_ajuste`` called, one training
  step in the kernel must move ``block4_conv1`` exactly as a fresh Adam's first step on
  ``sparse_categorical_crossentropy`` does; the learning rate is read off that step.
* ej4: epoch numbers and optimizer steps of the continued training, on a run's own sizes.
* ej5: ``exactitud`` on drawn probabilities; both accuracies recomputed from the saved
  probabilities and from the fine-tuned model's weights on the whole test set.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from tlcourse.grader.judging import PASS, Evidence, Verdict, fail
from tlcourse.grader.judges import _keras
from tlcourse.grader.hidden_test_helpers import accuracy

TOP = "block4_conv1"  # the only layer with weights in the top block (BN aside)
ADAM_EPSILON, ADAM_BETA_2 = 1e-7, 0.999  # tf_keras Adam defaults

_IMPORTS = ("_tlc_tf = __import__('tensorflow')\n"
            "_tlc_hub = __import__('tlcourse.hub').hub\n"
            "_tlc_BN = _tlc_tf.keras.layers.BatchNormalization\n")

PROBES = {
    "test_ej1_capas_entrenables": _IMPORTS + (
        "_tlc_bb = _tlc_hub.load_keras_backbone(verify=False)\n"
        "_tlc_bb.trainable = False\n"
        "registrar('ej1_mismo', lambda: descongelar_bloque_superior(_tlc_bb) is _tlc_bb)\n"
        "registrar('ej1_backbone', lambda: _tlc_bb)\n"
        "def _tlc_paso(bb):\n"
        "    e = _tlc_tf.keras.Input((32, 32, 3))\n"
        "    cabeza = _tlc_tf.keras.layers.Dense(5, activation='softmax')\n"
        "    m = _tlc_tf.keras.Model(e, cabeza(bb(e)))\n"
        "    cabeza.set_weights([RETO['ej1_w'], _tlc_tf.zeros(5).numpy()])\n"
        "    with _tlc_tf.GradientTape() as cinta:\n"
        "        perdida = _tlc_tf.reduce_mean(_tlc_tf.keras.losses.sparse_categorical_crossentropy(\n"
        "            RETO['ej1_y'], m(RETO['ej1_x'], training=True)))\n"
        "    variables = m.trainable_variables\n"
        "    for v, g in zip(variables, cinta.gradient(perdida, variables)):\n"
        "        v.assign_sub(float(RETO['ej1_lr']) * g)\n"
        "    return bb\n"
        "registrar('ej1_paso', lambda: _tlc_paso(_tlc_bb))\n"
    ),
    "test_ej2_bn_en_inferencia": _IMPORTS + (
        "_tlc_bb = _tlc_hub.load_keras_backbone(verify=False)\n"
        "_tlc_k = _tlc_bb.get_layer('block1_conv1').kernel\n"
        "_tlc_k.assign(_tlc_k + float(RETO['ej2_marca']))\n"
        "registrar('ej2_modelo', lambda: construir_modelo(_tlc_bb))\n"
    ),
    "test_ej3_recompilado": _IMPORTS + (
        "def _tlc_fase1():\n"
        "    bb = _tlc_hub.load_keras_backbone(verify=False)\n"
        "    bb.trainable = False\n"
        "    e = _tlc_tf.keras.Input((32, 32, 3))\n"
        "    m = _tlc_tf.keras.Model(e, _tlc_tf.keras.layers.Dense(5, activation='softmax')(bb(e, training=False)))\n"
        "    m.compile(_tlc_tf.keras.optimizers.Adam(float(RETO['ej3_lr0'])), 'sparse_categorical_crossentropy')\n"
        "    m.train_on_batch(RETO['ej3_x'], RETO['ej3_y'])\n"
        "    bb.trainable = True\n"
        "    for c in bb.layers:\n"
        "        c.trainable = c.name.startswith('block4') and not isinstance(c, _tlc_BN)\n"
        "    return m\n"
        "_tlc_m = _tlc_fase1()\n"
        "registrar('ej3_mismo', lambda: compilar_ajuste(_tlc_m, float(RETO['ej3_lr_base'])) is _tlc_m)\n"
        "registrar('ej3_antes', lambda: _tlc_m)\n"
        "registrar('ej3_despues', lambda: (_tlc_m.train_on_batch(RETO['ej3_x'], RETO['ej3_y']), _tlc_m)[1])\n"
    ),
    "test_ej4_initial_epoch": _IMPORTS + (
        "_tlc_mini = _tlc_tf.keras.Sequential([_tlc_tf.keras.Input((4,)), _tlc_tf.keras.layers.Dense(5, activation='softmax')])\n"
        "_tlc_mini.compile('adam', 'sparse_categorical_crossentropy')\n"
        "_tlc_h = _tlc_mini.fit(RETO['ej4_x'], RETO['ej4_y'], epochs=int(RETO['ej4_previas']), verbose=0)\n"
        "_tlc_pasos = int(_tlc_mini.optimizer.iterations.numpy())\n"
        "registrar('ej4', lambda: (lambda h: {'epocas': [int(e) for e in h.epoch],\n"
        "    'history': isinstance(h, _tlc_tf.keras.callbacks.History),\n"
        "    'pasos': int(_tlc_mini.optimizer.iterations.numpy()) - _tlc_pasos})(\n"
        "    seguir_entrenando(_tlc_mini, RETO['ej4_x'], RETO['ej4_y'], _tlc_h, int(RETO['ej4_extra']), verbose=0)))\n"
    ),
    "test_ej5_comparacion": (
        "registrar('ej5_exactitud', lambda: [float(exactitud(RETO[f'ej5_p{i}'], RETO[f'ej5_y{i}'])) for i in range(3)])\n"
        "registrar('ej5_acc', lambda: [float(acc_congelado), float(acc_ajustado)])\n"
        "registrar('ej5_prob_congelado', lambda: __import__('numpy').asarray(prob_congelado, dtype='float32'))\n"
        "registrar('ej5_modelo', lambda: modelo)\n"
    ),
}


def challenge(seed: int) -> dict[str, np.ndarray]:
    """Inputs, labels, learning rates and sizes for this run."""
    rng = np.random.default_rng(seed)
    arrays: dict[str, np.ndarray] = {
        "ej1_x": rng.random((8, 32, 32, 3), dtype=np.float32),
        "ej1_y": rng.integers(0, 5, 8),
        "ej1_w": rng.normal(0, 0.1, (256, 5)).astype(np.float32),
        "ej1_lr": np.array(float(rng.uniform(0.05, 0.5))),
        "ej2_marca": np.array(float(rng.uniform(0.01, 0.05))),
        "ej2_x": rng.random((4, 32, 32, 3), dtype=np.float32),
        "ej3_x": rng.random((16, 32, 32, 3), dtype=np.float32),
        "ej3_y": rng.integers(0, 5, 16),
        "ej3_lr0": np.array(float(10 ** rng.uniform(-3, -2))),
        "ej3_lr_base": np.array(float(10 ** rng.uniform(-2.5, -1.5))),
        "ej4_previas": np.array(int(rng.integers(1, 4))),
        "ej4_extra": np.array(int(rng.integers(1, 4))),
    }
    n = int(rng.integers(20, 70))
    arrays["ej4_x"] = rng.random((n, 4), dtype=np.float32)
    arrays["ej4_y"] = rng.integers(0, 5, n)
    for i in range(3):
        rows, classes = int(rng.integers(5, 40)), int(rng.integers(2, 8))
        arrays[f"ej5_p{i}"] = rng.dirichlet(np.ones(classes), rows)
        arrays[f"ej5_y{i}"] = rng.integers(0, classes, rows)
    return arrays


# --------------------------------------------------------------------------- helpers
@functools.lru_cache(maxsize=1)
def _published():  # type: ignore[no-untyped-def]
    """The course backbone, its files checked against the manifest (loaded once; read only)."""
    from tlcourse import hub

    return hub.load_keras_backbone(verify=True)


def _layers(model: Any) -> dict[str, Any]:
    """Every layer of ``model`` and of the models nested in it, by name."""
    found = {}
    for layer in model.layers:
        found.setdefault(layer.name, layer)
        if hasattr(layer, "layers"):
            for name, inner in _layers(layer).items():
                found.setdefault(name, inner)
    return found


def _backbone_changes(model: Any, published: Any) -> list[str] | None:
    """Names of the backbone layers whose weights differ from ``published`` (None: not found)."""
    layers = _layers(model)
    changed = []
    for layer in published.layers:
        mine = layers.get(layer.name)
        if mine is None or len(mine.get_weights()) != len(layer.get_weights()):
            return None
        if not all(np.array_equal(a, b) for a, b in zip(mine.get_weights(), layer.get_weights())):
            changed.append(layer.name)
    return changed


def _config_changes(model: Any, published: Any) -> list[str]:
    """Backbone layers whose configuration (``trainable`` aside) differs from the published one."""
    layers = _layers(model)

    def plain(layer: Any) -> dict[str, Any]:
        return {k: v for k, v in layer.get_config().items() if k != "trainable"}

    return [layer.name for layer in published.layers
            if layer.name not in layers or plain(layers[layer.name]) != plain(layer)]


def _is_bn(layer: Any) -> bool:
    return type(layer).__name__ == "BatchNormalization"


def _gradient(model: Any, variable_of: Any, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """d mean sparse CE / d variable, in training mode (what ``fit`` computes)."""
    tf = _keras.tf()
    variable = variable_of(model)
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.keras.losses.sparse_categorical_crossentropy(y, model(x, training=True)))
    return np.asarray(tape.gradient(loss, variable))


# --------------------------------------------------------------------------- ej1
def _judge_ej1(evidence: Evidence, reto: dict[str, np.ndarray]) -> Verdict:
    if evidence.value("ej1_mismo") is not True:
        return fail("descongelar_bloque_superior debe modificar el backbone recibido y devolverlo.")
    published = _published()
    backbone = evidence.keras_model("ej1_backbone")
    if _backbone_changes(backbone, published) != [] or _config_changes(backbone, published):
        return fail("descongelar_bloque_superior no debe cambiar las capas ni los pesos del backbone, solo qué "
                    "capas se entrenan.")
    if not backbone.trainable:
        return fail("El backbone quedó congelado entero: pon `backbone.trainable = True` antes de descongelar capas.")
    layers = _layers(backbone)
    trainable_bn = [n for n, c in layers.items() if _is_bn(c) and c.trainable]
    if trainable_bn:
        return fail(f"Las capas BatchNormalization deben quedar congeladas: {trainable_bn} no lo están.")
    training = [n for n, c in layers.items() if c.trainable and c.trainable_weights]
    if training != [TOP]:
        return fail(f"Las capas que se entrenan deberían ser solo ['{TOP}'], no {training}.")
    return _judge_ej1_step(backbone, evidence.keras_model("ej1_paso"), published, reto)


def _judge_ej1_step(backbone: Any, after: Any, published: Any, reto: dict[str, np.ndarray]) -> Verdict:
    """One gradient step in the kernel moved exactly block4_conv1, by -lr·g (``backbone``: the
    published weights with the flags just checked, so the judge's step is the right one)."""
    changed = _backbone_changes(after, published)
    if changed is None or changed != [TOP]:
        return fail(f"Al entrenar un paso, las capas que cambiaron fueron {changed}, no solo ['{TOP}']: "
                    "¿quedó alguna capa (o la BatchNormalization) entrenando?")
    tf = _keras.tf()
    entrada = tf.keras.Input((32, 32, 3))
    head = tf.keras.layers.Dense(5, activation="softmax")
    model = tf.keras.Model(entrada, head(backbone(entrada)))
    head.set_weights([reto["ej1_w"], np.zeros(5, np.float32)])
    g = _gradient(model, lambda m: backbone.get_layer(TOP).kernel, reto["ej1_x"], reto["ej1_y"])
    expected = published.get_layer(TOP).get_weights()[0] - float(reto["ej1_lr"]) * g
    got = after.get_layer(TOP).get_weights()[0]
    if not np.allclose(got, expected, rtol=1e-3, atol=1e-3 * float(reto["ej1_lr"]) * float(np.abs(g).max())):
        return fail(f"Un paso de entrenamiento no movió {TOP} como lo haría el gradiente: "
                    "las capas entrenables no son las que dicen ser.")
    return PASS


# --------------------------------------------------------------------------- ej2
def _judge_ej2(evidence: Evidence, reto: dict[str, np.ndarray]) -> Verdict:
    model = evidence.keras_model("ej2_modelo")
    if tuple(model.input_shape) != (None, 32, 32, 3):
        return fail(f"La entrada debe ser (None, 32, 32, 3), no {model.input_shape}.")
    if tuple(model.output_shape) != (None, 5):
        return fail(f"La salida debe ser (None, 5), no {model.output_shape}.")
    published = _published()
    conv = _layers(model).get("block1_conv1")
    marked = published.get_layer("block1_conv1").get_weights()[0] + float(reto["ej2_marca"])
    if conv is None or not np.allclose(conv.get_weights()[0], marked, atol=1e-6) or \
            _backbone_changes(model, published) != ["block1_conv1"]:
        return fail("El modelo debe usar el backbone que recibe como argumento.")
    changed = _config_changes(model, published)
    if changed:
        return fail(f"El modelo debe usar el backbone que recibe sin cambiar sus capas: cambiaron {changed}.")
    p = np.asarray(model(reto["ej2_x"], training=False))
    if not (np.all(p >= 0) and np.allclose(p.sum(axis=1), 1, atol=1e-4)):
        return fail("La salida debe ser softmax (probabilidades que suman 1).")
    model.trainable = True  # everything trainable, BN included: only training=False protects the statistics
    bns = [c for c in _layers(model).values() if _is_bn(c)]
    before = [(c.moving_mean.numpy().copy(), c.moving_variance.numpy().copy()) for c in bns]
    model(reto["ej2_x"], training=True)
    for c, (mean, variance) in zip(bns, before):
        if not (np.array_equal(mean, c.moving_mean.numpy()) and np.array_equal(variance, c.moving_variance.numpy())):
            return fail(f"Las estadísticas móviles de {c.name} cambiaron al entrenar: el backbone corre en modo "
                        "entrenamiento. Llámalo con training=False.")
    return PASS


# --------------------------------------------------------------------------- ej3
def adam_first_step(delta: np.ndarray, g: np.ndarray) -> tuple[float, float]:
    """Read a weight change ``delta`` as a fresh Adam's first step on gradient ``g``.

    That step is ``lr · (-g / (|g| + ε/√(1-β₂)))`` (tf_keras defaults). Returns the learning
    rate that fits ``delta`` best and the relative residual (near 0 only for such a step).
    """
    direction = -g / (np.abs(g) + ADAM_EPSILON / math.sqrt(1 - ADAM_BETA_2))
    lr = float(np.sum(delta * direction) / np.sum(direction * direction))
    return lr, float(np.linalg.norm(delta - lr * direction) / np.linalg.norm(delta))


def _judge_ej3(evidence: Evidence, reto: dict[str, np.ndarray]) -> Verdict:
    if evidence.value("ej3_mismo") is not True:
        return fail("compilar_ajuste debe devolver el modelo que recibe (return modelo).")
    before, after = evidence.keras_model("ej3_antes"), evidence.keras_model("ej3_despues")
    old, new = _layers(before), _layers(after)
    frozen = [layer.name for layer in _published().layers if layer.name != TOP]  # the rest of the backbone
    if not set(frozen) | {TOP} <= set(old) or set(old) != set(new):
        return fail("compilar_ajuste no debe cambiar las capas del modelo.")
    for name in frozen:
        if not all(np.array_equal(a, b) for a, b in zip(old[name].get_weights(), new[name].get_weights())):
            return fail(f"Tras compilar_ajuste, un paso de entrenamiento cambió {name}, que está congelada.")
    delta = new[TOP].get_weights()[0] - old[TOP].get_weights()[0]
    if not np.any(delta):
        return fail("Tras descongelar block4 y llamar a compilar_ajuste, un paso de entrenamiento no cambió sus "
                    "pesos: el modelo no se recompiló.")
    lr, residual = adam_first_step(delta, _gradient(before, lambda m: old[TOP].kernel, reto["ej3_x"], reto["ej3_y"]))
    if residual > 0.02:
        return fail("El primer paso tras compilar_ajuste no es el de un optimizador Adam nuevo con la pérdida "
                    "sparse_categorical_crossentropy.")
    lr_base = float(reto["ej3_lr_base"])
    if not 0 < lr <= lr_base / 10 * 1.02:
        return fail(f"La tasa de aprendizaje del ajuste fino es {lr:.2g}: debe ser al menos 10 veces menor que "
                    f"lr_base={lr_base:.2g}.")
    if lr < lr_base / 100 * 0.98:
        return fail(f"La tasa {lr:.2g} es más de 100 veces menor que lr_base={lr_base:.2g}: casi no aprendería.")
    return PASS


# --------------------------------------------------------------------------- ej4
def _judge_ej4(evidence: Evidence, reto: dict[str, np.ndarray]) -> Verdict:
    got = evidence.value("ej4")
    if not isinstance(got, dict) or got.get("history") is not True:
        return fail("seguir_entrenando debe devolver el History de fit.")
    previous, extra = int(reto["ej4_previas"]), int(reto["ej4_extra"])
    expected = list(range(previous, previous + extra))
    if got.get("epocas") != expected:
        return fail(f"Tras {previous} épocas y {extra} más, las épocas nuevas deben ser {expected}, no "
                    f"{got.get('epocas')}. Usa initial_epoch=len(historia_previa.epoch).")
    steps = extra * math.ceil(len(reto["ej4_x"]) / 32)
    if got.get("pasos") != steps:
        return fail(f"seguir_entrenando debe entrenar {extra} épocas más con batch_size=32: {steps} pasos, "
                    f"no {got.get('pasos')}.")
    return PASS


# --------------------------------------------------------------------------- ej5

def _test_set() -> tuple[np.ndarray, np.ndarray]:
    """The whole campo test set of the target task, as the backbone's input."""
    from tlcourse import data

    x, y = data.load_task("target", "test", "campo")
    gray = x.astype("float32")[..., None] / 255
    return np.concatenate([gray, gray, gray], axis=-1), y


def _judge_ej5(evidence: Evidence, reto: dict[str, np.ndarray]) -> Verdict:
    got = evidence.value("ej5_exactitud")
    for i in range(3):
        expected = accuracy(reto[f"ej5_p{i}"], reto[f"ej5_y{i}"])
        if not isinstance(got, list) or len(got) != 3 or not isinstance(got[i], float) or \
                not abs(got[i] - expected) < 1e-9:
            return fail("exactitud no da la fracción de aciertos de la clase más probable con otras probabilidades.")
    accs = evidence.value("ej5_acc")
    if not (isinstance(accs, list) and len(accs) == 2 and all(isinstance(a, float) and 0 <= a <= 1 for a in accs)):
        return fail("acc_congelado y acc_ajustado deben ser exactitudes entre 0 y 1.")
    frozen_probs = evidence.value("ej5_prob_congelado")
    x_test, y_test = _test_set()
    if not isinstance(frozen_probs, np.ndarray) or frozen_probs.shape != (len(y_test), 5):
        return fail("prob_congelado no son las probabilidades del modelo congelado sobre el conjunto de prueba.")
    frozen = accuracy(frozen_probs, y_test)
    if abs(accs[0] - frozen) >= 1e-6:
        return fail("acc_congelado no es la exactitud de prob_congelado sobre y_test.")
    model = evidence.keras_model("ej5_modelo")
    # The whole test set, as the in-kernel test: the verdict's tolerance (0.002, 10 images of
    # 5000) is finer than any sample could check (a sample of n images has a standard error of
    # about sqrt(0.9 * 0.1 / n), 0.002 only at n = 22 500).
    probabilities = _keras.predict(model, x_test)
    tuned = accuracy(probabilities, y_test)
    if abs(accs[1] - tuned) >= 0.002:
        return fail("acc_ajustado no es la exactitud del modelo ajustado sobre todo el conjunto de prueba.")
    return PASS


JUDGES = {
    "test_ej1_capas_entrenables": _judge_ej1,
    "test_ej2_bn_en_inferencia": _judge_ej2,
    "test_ej3_recompilado": _judge_ej3,
    "test_ej4_initial_epoch": _judge_ej4,
    "test_ej5_comparacion": _judge_ej5,
}


def judge(grade_id: str, evidence: Evidence, reto: dict[str, np.ndarray]) -> Verdict:
    """Each cell at least as strict as its in-kernel tests, recomputed from the evidence."""
    decide = JUDGES.get(grade_id)
    if decide is None:
        return fail(f"celda sin juez: {grade_id}")
    return decide(evidence, reto)  # errors on malformed evidence fail the cell in judging.judge_all


def warm() -> None:
    """TensorFlow and the published backbone (checked against its manifest), before any evidence exists."""
    _published()
