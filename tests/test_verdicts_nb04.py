"""Trusted verdicts on 04_ajuste_fino: hostile submissions earn nothing and are reported.

Each hostile submission is the blank release plus one trick in one answer cell. A
kernel trick (tests/hostile.py: kernel_tricks_for) changes how later cells run; the others are aimed at this
notebook's tests and each fools them completely (its exercise passes in the kernel):

* a layer that reports ``trainable=False`` but trains: every layer is left trainable, and
  the properties the tests read lie while the ones ``fit`` uses tell the truth;
* rebound Keras functions: a recompile with a 10x too high learning rate and the wrong loss,
  with ``tf.keras.backend.get_value`` and the loss function the test compares against lying;
* a rebound course helper: ``hub.load_keras_backbone`` hands out a backbone whose
  BatchNormalization statistics never move, so a ``Sequential`` model (training mode) looks
  as if it ran in inference;
* forged evidence written into the evidence folder, with the probes turned into ``pass``.

Each must earn 0 for every exercise and be reported as ``manipulacion``; an honest student
graded beside them keeps full marks and is never flagged.
"""

from __future__ import annotations

import pytest

from hostile import HONEST, earned, flagged, grade_hostile, hostile_notebook, kernel_tricks_for

A = "04_ajuste_fino"
FIRST_ANSWER = "ej1_descongelar_bloque_superior"

#: name -> (answer cell replaced, code): tricks aimed at this notebook's tests.
NOTEBOOK_TRICKS = {
    "capa_mentirosa": (FIRST_ANSWER, (
        "import tensorflow as tf\n"
        "def descongelar_bloque_superior(backbone, prefijo='block4'):\n"
        "    backbone.trainable = True          # todo queda entrenable...\n"
        "    return backbone\n"
        "Capa, Modelo = tf.keras.layers.Layer, tf.keras.Model\n"
        "real = Capa.trainable\n"
        "def dice(capa):                       # ...pero las capas dicen estar congeladas\n"
        "    return real.fget(capa) and (isinstance(capa, Modelo) or capa.name.startswith('block4_conv'))\n"
        "def verdad(capa):                     # lo que usan fit y el optimizador: todo entrena\n"
        "    if not real.fget(capa):\n"
        "        return []\n"
        "    if isinstance(capa, Modelo):\n"
        "        return [w for t in capa._self_tracked_trackables for w in t.trainable_variables]\n"
        "    return list(capa._trainable_weights)\n"
        "Capa.trainable = property(dice, real.fset)\n"
        "BN = tf.keras.layers.BatchNormalization   # la BN tiene su propia propiedad\n"
        "BN.trainable = property(lambda capa: False, BN.trainable.fset)\n"
        "Capa.trainable_variables = property(verdad)\n"
        "Modelo.trainable_weights = property(lambda m: [w for w in verdad(m) if w.name.startswith('block4_conv')])\n"
    )),
    "keras_reemplazado": ("ej3_compilar_ajuste", (
        "import tensorflow as tf\n"
        "def compilar_ajuste(modelo, lr_base):\n"
        "    modelo.compile(tf.keras.optimizers.Adam(lr_base), loss='mean_squared_error')\n"
        "    return modelo\n"
        "tf.keras.backend.get_value = lambda valor: 1e-3     # la tasa que se lee miente\n"
        "tf.keras.losses.sparse_categorical_crossentropy = lambda y, p, **k: tf.keras.losses.mean_squared_error(\n"
        "    tf.cast(y, p.dtype)[:, None], p)                 # y la pérdida de referencia también\n"
    )),
    "ayudante_del_curso": ("ej2_construir_modelo", (
        "from tlcourse import hub\n"
        "cargar = hub.load_keras_backbone\n"
        "def cargar_quieto(*a, **k):\n"
        "    bb = cargar(*a, **k)\n"
        "    for capa in bb.layers:\n"
        "        if isinstance(capa, tf.keras.layers.BatchNormalization):\n"
        "            capa.momentum = 1.0           # sus estadísticas ya nunca cambian\n"
        "    return bb\n"
        "hub.load_keras_backbone = course_hub.load_keras_backbone = cargar_quieto\n"
        "def construir_modelo(backbone, num_clases=5):  # la BN entrena (Sequential), pero no se nota\n"
        "    return tf.keras.Sequential([tf.keras.Input((32, 32, 3)), backbone,\n"
        "                                tf.keras.layers.Dense(num_clases, activation='softmax')])\n"
    )),
    "evidencia_falsificada": (FIRST_ANSWER, (
        "import json, pathlib\n"
        "carpeta = pathlib.Path('.evidencia')\n"
        "for nombre in ['ej1_mismo', 'ej1_backbone', 'ej1_paso', 'ej2_modelo', 'ej3_mismo', 'ej3_antes',\n"
        "               'ej3_despues', 'ej4', 'ej5_exactitud', 'ej5_acc', 'ej5_prob_congelado', 'ej5_modelo',\n"
        "               'ej6_aumentacion', 'ej7', 'ej7_modelo', 'ej8_val', 'ej8_y_val', 'ej8_ajuste', 'ej8_y_ajuste',\n"
        "               'ej8_historia', 'ej8_cabeza']:\n"
        "    (carpeta / f'{nombre}.json').write_text(json.dumps({'kind': 'json', 'value': True}))\n"
        "get_ipython().input_transformers_cleanup.append(lambda lineas: ['pass\\n'])\n"
    )),
}


def _cases() -> dict[str, tuple[str, str]]:
    return {**{name: (FIRST_ANSWER, code) for name, code in kernel_tricks_for(A).items()}, **NOTEBOOK_TRICKS}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """Every trick and one honest student, autograded in one scratch course."""
    students = {name: hostile_notebook(A, cell, code) for name, (cell, code) in _cases().items()}
    return grade_hostile(tmp_path_factory.mktemp(A), A, students)


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(_cases()))
def test_each_trick_earns_nothing_and_is_reported(hostile, case):
    scores, incidents = hostile[case]
    assert scores and earned(scores) == 0, {g: s.score for g, s in scores.items()}
    assert flagged(incidents), incidents


@pytest.mark.slow
def test_an_honest_student_beside_them_keeps_full_marks_unflagged(hostile):
    scores, incidents = hostile[HONEST]
    assert all(s.full for g, s in scores.items() if not g.startswith("manual_")) and incidents == []


def test_every_graded_cell_of_04_has_a_probe_and_a_verdict():
    """The judge covers exactly the notebook's autograded cells (a new test cell needs a probe)."""
    from tlcourse import grading
    from tlcourse.judges import ajuste, ajuste_regularizacion, judge_for

    notebook = grading.read_notebook(grading.release_path(A))
    graded = {c.metadata["nbgrader"]["grade_id"] for c in notebook.cells
              if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"}
    judge = judge_for(A)
    assert judge.modules == [ajuste, ajuste_regularizacion]
    for module in judge.modules:
        assert set(module.PROBES) == set(module.JUDGES), module.__name__
    assert set(ajuste.PROBES).isdisjoint(ajuste_regularizacion.PROBES) and set(judge.PROBES) == graded
    challenge = judge.challenge(7)
    assert set(challenge) == set(ajuste.challenge(7)) | set(ajuste_regularizacion.challenge(7))


def test_the_judge_reads_a_fresh_adams_first_step_and_its_learning_rate():
    """The recomputation behind ej3: a fresh Adam's first step is lr·(-g/(|g|+ε')); SGD's is not."""
    import numpy as np

    from tlcourse._env import import_tensorflow_quietly
    from tlcourse.judges import ajuste

    tf = import_tensorflow_quietly()
    g = np.random.default_rng(0).normal(0, 1e-3, (50, 20)).astype(np.float32)
    for optimizer, fresh_adam in ((tf.keras.optimizers.Adam(3e-4), True), (tf.keras.optimizers.SGD(3e-4), False)):
        variable = tf.Variable(np.zeros_like(g))
        optimizer.apply_gradients([(tf.constant(g), variable)])
        lr, residual = ajuste.adam_first_step(variable.numpy(), g)
        assert (residual < 0.02 and abs(lr - 3e-4) < 3e-6) == fresh_adam, (optimizer, lr, residual)
