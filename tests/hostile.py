"""Hostile submissions: the tricks each notebook's grader corpus is graded against.

A hostile submission is a blank release (or a corpus mistake, or the solution) plus a trick
in one or more answer cells that, without the judge, made in-kernel tests pass. Each is an
entry of its notebook's grader corpus, ``tests/corpus/<A>/expected.toml``, marked
``flagged = true``, with the points it honestly earns (``score``) and the exercises it must
lose (``loses``); this module builds its notebook (:func:`submissions`). The corpus fixture
(tests/grader_corpus.py) grades the hostile submissions first, then the honest ones, the
solution and the blank release, all in one scratch course, and checks that each trick earns
nothing it did not honestly solve and is reported as ``manipulacion``, while every honest
submission graded after them is never flagged (and the solution has no incident at all).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nbformat import NotebookNode

import corpus_files
from tlcourse.grader import grading

BLANK, SOLUTION = "en_blanco", "solucion"

#: Tricks that work on any notebook: they change how the kernel runs later cells.
KERNEL_TRICKS = {
    # every later cell becomes `pass`
    "transformador_entrada": "get_ipython().input_transformers_cleanup.append(lambda lineas: ['pass\\n'])",
    # every later cell runs inside try/except: errors vanish
    "transformador_ast": (
        "import ast\n"
        "class Tragar(ast.NodeTransformer):\n"
        "    def visit_Module(self, nodo):\n"
        "        manejador = ast.ExceptHandler(type=ast.Name('BaseException', ast.Load()), name=None, body=[ast.Pass()])\n"
        "        nodo.body = [ast.Try(body=nodo.body or [ast.Pass()], handlers=[manejador], orelse=[], finalbody=[])]\n"
        "        return ast.fix_missing_locations(nodo)\n"
        "get_ipython().ast_transformers.append(Tragar())\n"
    ),
    # errors are never shown, so no error output is recorded
    "sin_tracebacks": ("ip = get_ipython()\n"
                       "ip.showtraceback = lambda *a, **k: None\n"
                       "ip._showtraceback = lambda *a, **k: None\n"),
    # a custom exception handler swallows every error
    "manejador_excepciones": "get_ipython().set_custom_exc((BaseException,), lambda *a, **k: None)",
}


#: The kernel tricks do not depend on the notebook: the integrity probes and the judge catch
#: them the same way everywhere. The cheap notebooks (00, 01) try all four; each heavier one
#: tries one, a different one each, so every trick runs on a heavy notebook too.
ONE_TRICK = {"02_arquitecturas": "transformador_entrada", "03_extraccion_caracteristicas": "transformador_ast",
             "04_ajuste_fino": "sin_tracebacks", "05_tensorflow_hub": "manejador_excepciones"}


def kernel_tricks_for(assignment: str) -> dict[str, str]:
    """The kernel tricks a notebook's hostile corpus tries (see :data:`ONE_TRICK`)."""
    if assignment in ONE_TRICK:
        return {ONE_TRICK[assignment]: KERNEL_TRICKS[ONE_TRICK[assignment]]}
    return dict(KERNEL_TRICKS)


@dataclass(frozen=True)
class Trick:
    """A hostile submission: ``base`` with the answer cells ``cells`` names replaced (or,
    with ``appended``, followed) by the given code."""

    cells: dict[str, str]
    base: str = BLANK  # the blank release, or a corpus entry ("solucion", "errores_c", ...)
    appended: bool = False
    about: str = field(default="", compare=False)


#: The answer cell a kernel trick (and most notebook tricks) is written into.
FIRST_ANSWER = {"00_entorno": "ej1_resumen_datos", "01_evolucion_cnn": "ej1_cargar_tabla",
                "02_arquitecturas": "ej1_contar_parametros",
                "03_extraccion_caracteristicas": "ej1_preprocesar",
                "04_ajuste_fino": "ej1_descongelar_bloque_superior", "05_tensorflow_hub": "ej1_cache"}


# --------------------------------------------------------------------------- 00 and 01
# Measured before the judge existed: an input transformer alone earned 12/12 on notebook 01.
# Tricks aimed at one notebook's tests: lying objects, rebound checks, forged evidence.
_NB00_NB01 = {
    ("00_entorno", "objetos_mentirosos"): (
        "import numpy as np\n"
        "class Todo(dict):\n"
        "    def __eq__(self, otro): return True\n"
        "    def __getitem__(self, clave): return Todo()\n"
        "    def __iter__(self): return iter(['n', 'alto', 'ancho', 'clases', 'min', 'max'])\n"
        "    def __contains__(self, clave): return True\n"
        "def resumen_datos(x, y): return Todo()\n"
        "np.allclose = np.isclose = lambda *a, **k: True\n"
        "np.asarray = lambda x, *a, **k: np.full(10, 0.1)\n"
    ),
    ("01_evolucion_cnn", "ayudantes_reemplazados"): (
        "import pandas as pd, numpy as np\n"
        "from tlcourse import cnn_table, plot_reading\n"
        "plot_reading.same_points = lambda *a, **k: True\n"
        "plot_reading.unlabelled = lambda *a, **k: []\n"
        "plot_reading.horizontal_lines = lambda ax: [5.1, 9.0]\n"
        "plot_reading.data_points = lambda ax: np.ones((1, 2))\n"
        "pd.api.types.is_integer_dtype = lambda *a, **k: True\n"
        "np.allclose = np.isclose = lambda *a, **k: True\n"
        "cargar_tabla = lambda ruta: pd.read_csv(ruta)\n"
    ),
    ("01_evolucion_cnn", "evidencia_falsificada"): (
        "import json, pathlib\n"
        "carpeta = pathlib.Path('.evidencia')\n"
        "for nombre in ['ej1_real', 'ej1_reto', 'ej2', 'ej3_humano', 'ej3_reduccion', 'ej4', 'ej5']:\n"
        "    (carpeta / f'{nombre}.json').write_text(json.dumps({'kind': 'json', 'value': True}))\n"
        "get_ipython().input_transformers_cleanup.append(lambda lineas: ['pass\\n'])\n"
    ),
}


# --------------------------------------------------------------------------- 02
# A lying object (parameter functions returning an ``int`` whose ``==`` is always true, and
# ``tf.keras.Model.count_params`` rebound to the expected MobileNetV2 count) and forged
# evidence (files written into ``.evidencia`` directly, one a Keras config with a ``Lambda``
# layer, with an input transformer so that the probes never overwrite them).
_LYING_PARAMETERS = (
    "class Todo(int):\n"
    "    def __eq__(self, otro):\n"
    "        return True\n"
    "    __hash__ = int.__hash__\n"
    "def parametros_conv(k, c_entrada, c_salida, sesgo=True):\n"
    "    return Todo(0)\n"
    "def parametros_densa(n_entrada, n_salida, sesgo=True):\n"
    "    return Todo(0)\n"
)
_LYING_COUNT = (
    "def construir_aplicacion(nombre):\n"
    "    return tf.keras.Sequential([tf.keras.Input(shape=(8,)), layers.Dense(1000, activation='softmax')])\n"
    "tf.keras.Model.count_params = lambda self: 3538984\n"
)
_FORGED = (
    "import json, pathlib\n"
    "carpeta = pathlib.Path('.evidencia')\n"
    "falsas = {'ej1': {'kind': 'json', 'value': {'conv': [156] * 6, 'densa': [10164] * 6}},\n"
    "          'ej4': {'kind': 'json', 'value': {'campo': [5] * 6, 'pesos': [73728] * 4}},\n"
    "          'ej9': {'kind': 'json', 'value': [{'total': 138, 'entrenables': 130, 'no_entrenables': 8, 'sesgos_conv': 4}] * 3},\n"
    "          'ej2': {'kind': 'keras', 'config': {'class_name': 'Sequential', 'config': {'layers': [\n"
    "              {'class_name': 'Lambda', 'config': {'function': ['4wEAAAA', None, None]}}]}}}}\n"
    "for nombre, contenido in falsas.items():\n"
    "    (carpeta / f'{nombre}.json').write_text(json.dumps(contenido))\n"
    "get_ipython().input_transformers_cleanup.append(lambda lineas: ['pass\\n'])\n"
)


# --------------------------------------------------------------------------- 03
# Measured before the judge existed (issue 19): on a blank 03, each kernel trick earned 18/18;
# wrong answers plus a few lines that replace the checking helpers went from their own score
# to 18/18.

#: The typical mistakes the helper-replacing trick is added to, and the name of that pair.
MISTAKES_03, MISTAKES_WITH_TRICK_03 = "errores_c", "errores_c_ayudantes"

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

#: Evidence written directly into ``.evidencia``, the probes then silenced.
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


# --------------------------------------------------------------------------- 04
# Each is aimed at this notebook's tests and fooled them completely (its exercise passed in
# the kernel): a layer that reports ``trainable=False`` but trains (the properties the tests
# read lie, the ones ``fit`` uses tell the truth); rebound Keras functions (a recompile with
# a 10x too high learning rate and the wrong loss, with ``tf.keras.backend.get_value`` and
# the reference loss lying); a rebound course helper (``hub.load_keras_backbone`` hands out a
# backbone whose BatchNormalization statistics never move, so a ``Sequential`` model in
# training mode looks as if it ran in inference); forged evidence with the probes silenced.
_NB04 = {
    "capa_mentirosa": (FIRST_ANSWER["04_ajuste_fino"], (
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
    "evidencia_falsificada": (FIRST_ANSWER["04_ajuste_fino"], (
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


# --------------------------------------------------------------------------- 05
#: The solution with an untrained model exported and ``np.allclose``/``np.mean`` rebound so the
#: in-kernel tests pass: ej1 and ej2 are honestly solved, ej3 is not.
_UNTRAINED_EXPORT = (
    "nuevo = tf.keras.Sequential([tf.keras.Input((32, 32, 3)),\n"
    "    hub.KerasLayer(spec.handle, trainable=False),\n"
    "    tf.keras.layers.Dense(5, activation='softmax')])\n"
    "tf.saved_model.save(nuevo, str(CARPETA_EXPORTACION))\n"
    "np.allclose = lambda *a, **k: True\n"
    "np.mean = lambda *a, **k: 1.0\n"
)


def _tricks() -> dict[str, dict[str, Trick]]:
    tricks: dict[str, dict[str, Trick]] = {
        assignment: {name: Trick({cell: code}) for name, code in kernel_tricks_for(assignment).items()}
        for assignment, cell in FIRST_ANSWER.items()}
    for (assignment, name), code in _NB00_NB01.items():
        tricks[assignment][name] = Trick({FIRST_ANSWER[assignment]: code})
    tricks["02_arquitecturas"].update({
        "objetos_mentirosos": Trick({"ej1_contar_parametros": _LYING_PARAMETERS,
                                     "ej8_construir_aplicacion": _LYING_COUNT}),
        "evidencia_falsificada": Trick({"ej1_contar_parametros": _FORGED}),
    })
    tricks["03_extraccion_caracteristicas"].update({
        MISTAKES_WITH_TRICK_03: Trick({"ej1_preprocesar": HELPERS_REPLACED}, base=MISTAKES_03, appended=True),
        "capa_mentirosa": Trick({"ej7_congelar_base": LYING_LAYER}),
        "keras_reasignado": Trick(dict(KERAS_REBOUND)),
        "evidencia_falsificada": Trick({"ej1_preprocesar": FORGED}),
    })
    tricks["04_ajuste_fino"].update({name: Trick({cell: code}) for name, (cell, code) in _NB04.items()})
    tricks["05_tensorflow_hub"]["exportacion_sin_entrenar"] = Trick({"ej3_exportar": _UNTRAINED_EXPORT}, base=SOLUTION)
    return tricks


#: assignment -> hostile submission name -> how it is built.
TRICKS = _tricks()


def build(assignment: str, trick: Trick) -> NotebookNode:
    """The notebook of one hostile submission."""
    if trick.base == BLANK:
        notebook = grading.read_notebook(grading.release_path(assignment))
    else:
        notebook = grading.submission(assignment, overrides=corpus_files.load(assignment)[trick.base].overrides)
    cells = grading.cells_by_id(notebook)
    for cell, code in trick.cells.items():
        cells[cell].source = cells[cell].source + code if trick.appended else code
    return notebook


def submissions(assignment: str) -> dict[str, NotebookNode]:
    """Every hostile submission of ``assignment``'s corpus, by name (none for some notebooks)."""
    return {name: build(assignment, trick) for name, trick in TRICKS.get(assignment, {}).items()}


def earned(scores: dict) -> float:
    """Autograded points (manual cells excluded)."""
    return sum(s.score for g, s in scores.items() if not g.startswith("manual_"))


def flagged(incidents: list) -> bool:
    """Whether an autograded notebook's incidents include a ``manipulacion`` report."""
    return any(kind == "manipulacion" for _, kind, _ in incidents)
