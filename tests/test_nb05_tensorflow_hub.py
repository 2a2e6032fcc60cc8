"""Grader validity for 05_tensorflow_hub: full marks, zero, typical mistakes, correct variants."""

from __future__ import annotations

import pytest

from grader_corpus import (  # noqa: F401  (shared fixture and tests, collected here)
    graded, results, test_blank_release_scores_zero, test_each_mistake_loses_only_its_exercise,
    test_honest_submissions_are_never_flagged,
    test_solution_gets_full_marks, test_solution_runs_silently_within_memory_budget)

A = "05_tensorflow_hub"
pytestmark = pytest.mark.slow

_ESTA_EN_CACHE = (
    "def esta_en_cache(handle):\n"
    "    return (carpeta_cache(handle) / 'saved_model.pb').is_file()\n"
)

# name -> solution cells replaced (grade_id -> source)
CORPUS: dict[str, dict[str, str]] = {
    "solucion": {},
    # Typical mistakes. Independent exercises share a submission; the three ways of getting
    # the export wrong (ej3) need one submission each.
    "errores_1": {
        # ej1: md5 instead of sha1 (not where tensorflow_hub caches the handle)
        "ej1_cache": (
            "def carpeta_cache(handle):\n"
            "    return Path(os.environ['TFHUB_CACHE_DIR']) / hashlib.md5(handle.encode()).hexdigest()\n"
            + _ESTA_EN_CACHE
        ),
        # ej2: firma.inputs/outputs are graph tensors ('image:0', plus captured variables)
        "ej2_describir_firma": (
            "def describir_firma(modelo, nombre='serving_default'):\n"
            "    firma = modelo.signatures[nombre]\n"
            "    d = lambda ts: {t.name: (tuple(t.shape.as_list()), t.dtype.name) for t in ts}\n"
            "    return {'entradas': d(firma.inputs), 'salidas': d(firma.outputs)}\n"
        ),
        # ej3: Keras 3 style model.export(): no __call__, hub.KerasLayer refuses it
        "ej3_exportar": "clasificador.export(str(CARPETA_EXPORTACION))\n",
    },
    "errores_2": {
        # ej1: a half-downloaded folder counts as cached
        "ej1_cache": (
            "def carpeta_cache(handle):\n"
            "    return Path(os.environ['TFHUB_CACHE_DIR']) / hashlib.sha1(handle.encode('utf8')).hexdigest()\n"
            "def esta_en_cache(handle):\n"
            "    return carpeta_cache(handle).exists()\n"
        ),
        # ej3: exported to the wrong folder (forgot the version level)
        "ej3_exportar": "tf.saved_model.save(clasificador, str(CARPETA_MODELOS / 'clasificador_destino'))\n",
    },
    "errores_3": {
        # ej3: exports a freshly built (untrained) model instead of `clasificador`
        "ej3_exportar": (
            "nuevo = tf.keras.Sequential([tf.keras.Input((32, 32, 3)),\n"
            "    hub.KerasLayer(spec.handle, trainable=False),\n"
            "    tf.keras.layers.Dense(5, activation='softmax')])\n"
            "tf.saved_model.save(nuevo, str(CARPETA_EXPORTACION))\n"
        ),
    },
    # Correct alternatives in other styles.
    "variantes": {
        "ej1_cache": (
            "import os.path\n"
            "def carpeta_cache(handle):\n"
            "    return Path(os.getenv('TFHUB_CACHE_DIR')).joinpath(hashlib.sha1(bytes(handle, 'utf-8')).hexdigest())\n"
            "def esta_en_cache(handle):\n"
            "    return os.path.exists(os.path.join(carpeta_cache(handle), 'saved_model.pb'))\n"
        ),
        "ej2_describir_firma": (
            "def describir_firma(modelo, nombre='serving_default'):\n"
            "    f = modelo.signatures[nombre]\n"
            "    entradas = {}\n"
            "    for k, s in f.structured_input_signature[1].items():\n"
            "        entradas[k] = (tuple(s.shape), s.dtype.name)\n"
            "    salidas = {k: (tuple(s.shape), str(s.dtype.name)) for k, s in f.structured_outputs.items()}\n"
            "    return dict(entradas=entradas, salidas=salidas)\n"
        ),
        # tf_keras' own SavedModel format is also a reusable SavedModel
        "ej3_exportar": "clasificador.save(str(CARPETA_EXPORTACION), save_format='tf')\n",
    },
}
WRONG = {"errores_1": {"ej1", "ej2", "ej3"}, "errores_2": {"ej1", "ej3"}, "errores_3": {"ej3"}}


