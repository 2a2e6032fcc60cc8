"""Hostile corpus on 03_extraccion_caracteristicas: tricks that fooled the in-kernel tests.

Measured before the judge existed (issue 19): on a blank 03, each kernel trick earned 18/18;
wrong answers plus a few lines that replace the checking helpers went from their own score
to 18/18. Here every trick is graded beside one honest student in one scratch course:

* a kernel trick of :data:`hostile.KERNEL_TRICKS` (:func:`hostile.kernel_tricks_for`) on a blank 03;
* the corpus's wrong answers ``errores_c`` plus lines that replace ``np.isclose``,
  ``np.allclose`` and the checking helpers: exactly the score of ``errores_c`` alone;
* a lying layer: ``congelar_base`` turns the base into a layer that reports no trainable
  weights (and no weights at all) without recompiling, so ``fit`` keeps training it;
* rebound Keras methods: ``Model.predict`` softmaxes whatever the model outputs and
  ``Model.evaluate`` reports a high accuracy;
* forged evidence written directly into ``.evidencia``, the probes then silenced.

Each earns nothing it did not honestly solve and is flagged ``manipulacion``; the honest
student keeps full marks, unflagged.
"""

from __future__ import annotations

import pytest

from hostile import HONEST, earned, flagged, grade_hostile, hostile_notebook, kernel_tricks_for
import corpus_files
from tlcourse.grader import grading

A = "03_extraccion_caracteristicas"
FIRST_ANSWER = "ej1_preprocesar"
#: The typical mistakes the helper-replacing trick is added to, and the name of that pair.
MISTAKES, MISTAKES_WITH_TRICK = "errores_c", "errores_c_ayudantes"

#: Lines that made the in-kernel tests pass whatever the answers (appended to the first answer).
HELPERS_REPLACED = (
    "\nimport tlcourse.grader.hidden_test_helpers as _ayudantes\n"
    "from tlcourse import model_checks as _transfer\n"
    "np.allclose = np.isclose = lambda *a, **k: True\n"
    "_ayudantes.accuracy = lambda *a, **k: 1.0\n"
    "_transfer.output_kind = lambda *a, **k: _transfer.PROBABILITIES\n"
    "_transfer.unchanged = lambda *a, **k: True\n"
)

#: congelar_base that lies: the base reports no weights to check, the compiled fit still trains it.
LYING_LAYER = (
    "def congelar_base(modelo):\n"
    "    base = modelo.layers[0]\n"
    "    Mentirosa = type('KerasLayer', (type(base),), {\n"
    "        'trainable': property(lambda self: False, lambda self, valor: None),\n"
    "        'trainable_weights': property(lambda self: []),\n"
    "        'weights': property(lambda self: []),\n"
    "    })\n"
    "    base.__class__ = Mentirosa\n"
    "    return modelo\n"
)

#: Keras methods rebound: a ReLU head looks like softmax (exercise 3), and one epoch of
#: training looks good because evaluate reports 99 % (exercise 6).
KERAS_REBOUND = {
    "ej3_cabeza": (
        "def cabeza(num_clases):\n"
        "    return tf.keras.layers.Dense(num_clases, activation='relu')\n"
        "tf.keras.Model.predict = lambda self, x, *a, **k: tf.nn.softmax(self(np.asarray(x, np.float32))).numpy()\n"
    ),
    "ej6_entrenar": (
        "tf.keras.Model.evaluate = lambda self, *a, return_dict=False, **k: (\n"
        "    {'loss': 0.01, 'accuracy': 0.99} if return_dict else [0.01, 0.99])\n"
        "def entrenar(modelo, x, y, validacion=None, verbose=0):\n"
        "    return modelo.fit(x, y, epochs=1, validation_data=validacion, verbose=verbose)\n"
        "def exactitud(modelo, x, y):\n"
        "    return float(modelo.evaluate(x, y, verbose=0)[1])\n"
    ),
}

FORGED = (
    "import json, pathlib\n"
    "carpeta = pathlib.Path('.evidencia')\n"
    "for nombre in ['ej1_campo', 'ej1_catalogo', 'ej1_campo_t', 'ej1_catalogo_t', 'ej2', 'ej3_a', 'ej3_b', 'ej4',\n"
    "               'ej5_cabeza', 'ej5', 'ej6_validacion', 'ej6_historia', 'ej6_cabeza', 'ej6_exactitud',\n"
    "               'ej7_congelar', 'ej7_antes', 'ej7_despues', 'ej7_metricas']:\n"
    "    (carpeta / f'{nombre}.json').write_text(json.dumps({'kind': 'json', 'value': {\n"
    "        'devuelve': True, 'compilado': True, 'es_history': True, 'claves': ['loss', 'val_loss'], 'epocas': 1}}))\n"
    "get_ipython().input_transformers_cleanup.append(lambda lineas: ['pass\\n'])\n"
)


def _students() -> dict[str, object]:
    blank = lambda: grading.read_notebook(grading.release_path(A))  # noqa: E731
    students = {name: hostile_notebook(A, FIRST_ANSWER, code) for name, code in kernel_tricks_for(A).items()}
    students[MISTAKES] = grading.submission(A, overrides=corpus_files.load(A)[MISTAKES].overrides)
    with_trick = dict(corpus_files.load(A)[MISTAKES].overrides)
    with_trick[FIRST_ANSWER] = with_trick[FIRST_ANSWER] + HELPERS_REPLACED
    students[MISTAKES_WITH_TRICK] = grading.submission(A, overrides=with_trick)
    students["capa_mentirosa"] = hostile_notebook(A, "ej7_congelar_base", LYING_LAYER, blank())
    rebound = blank()
    for cell, code in KERAS_REBOUND.items():
        rebound = hostile_notebook(A, cell, code, rebound)
    students["keras_reasignado"] = rebound
    students["evidencia_falsificada"] = hostile_notebook(A, FIRST_ANSWER, FORGED, blank())
    return students


#: Every hostile student of this corpus (the blank-based ones earn nothing at all).
BLANK_TRICKS = (*kernel_tricks_for(A), "capa_mentirosa", "keras_reasignado", "evidencia_falsificada")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """Every trick, the plain mistakes and one honest student, autograded in one scratch course."""
    return grade_hostile(tmp_path_factory.mktemp(A), A, _students())


@pytest.mark.slow
@pytest.mark.parametrize("trick", BLANK_TRICKS)
def test_each_trick_on_a_blank_notebook_earns_nothing_and_is_reported(hostile, trick):
    scores, incidents = hostile[trick]
    assert scores and earned(scores) == 0, {g: s.score for g, s in scores.items()}
    assert flagged(incidents), incidents


@pytest.mark.slow
def test_replaced_helpers_earn_exactly_what_the_wrong_answers_earn_and_are_reported(hostile):
    """The issue's measured case: the trick once lifted wrong answers to full marks."""
    plain, _ = hostile[MISTAKES]
    tricked, incidents = hostile[MISTAKES_WITH_TRICK]
    assert {g: s.score for g, s in tricked.items()} == {g: s.score for g, s in plain.items()}
    assert 0 < earned(plain) < sum(s.max_score for g, s in plain.items() if not g.startswith("manual_"))
    assert flagged(incidents), incidents


@pytest.mark.slow
def test_the_plain_mistakes_are_not_flagged(hostile):
    assert not flagged(hostile[MISTAKES][1]), hostile[MISTAKES][1]


@pytest.mark.slow
def test_an_honest_student_beside_them_keeps_full_marks_unflagged(hostile):
    scores, incidents = hostile[HONEST]
    assert scores and all(s.full for g, s in scores.items() if not g.startswith("manual_")) and incidents == []
