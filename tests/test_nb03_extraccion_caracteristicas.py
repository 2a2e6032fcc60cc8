"""Grader validity for 03_extraccion_caracteristicas: full marks, zero, typical mistakes, correct variants.

Exercises: ej1 preprocesar, ej2 capa_base, ej3 cabeza, ej4 modelo_completo, ej5 compilar,
ej6 entrenar + exactitud, ej7 congelar_base. Their tests use their own inputs (ej4 is graded
with reference capa_base/cabeza, ej5 with a reference model following the student's head
convention, ej6 with a reference head on features the test extracts itself), so independent
mistakes are bundled. Eight notebooks is the minimum here: ej1 and ej5 each have four
mistakes and two correct variants, one per submission.
"""

from __future__ import annotations

import json
import re

import pytest

from tlcourse import grading
from grader_corpus import (  # noqa: F401  (shared fixture and tests, collected here)
    graded, results, test_blank_release_scores_zero, test_each_mistake_loses_only_its_exercise,
    test_honest_submissions_are_never_flagged,
    test_solution_gets_full_marks, test_solution_runs_silently_within_memory_budget)

A = "03_extraccion_caracteristicas"

CORPUS: dict[str, dict[str, str]] = {
    "solucion": {},
    "errores_a": {
        # ej1: no scaling to [0, 1]
        "ej1_preprocesar": (
            "def preprocesar(imagenes, tamano=32):\n"
            "    imagenes = np.asarray(imagenes)\n"
            "    if imagenes.shape[1:] == (28, 28):\n"
            "        imagenes = np.pad(imagenes, ((0, 0), (2, 2), (2, 2)))\n"
            "    x = np.repeat(imagenes.astype(np.float32)[..., None], 3, axis=-1)\n"
            "    if x.shape[1] != tamano:\n"
            "        x = tf.image.resize(x, (tamano, tamano)).numpy()\n"
            "    return x\n"
        ),
        # ej3: wrong number of units (the source task's 10 classes)
        "ej3_cabeza": (
            "def cabeza(num_clases):\n"
            "    return tf.keras.layers.Dense(10, activation='softmax')\n"
        ),
        # ej4: builds its own backbone layer, trainable
        "ej4_modelo_completo": (
            "def modelo_completo(handle, num_clases, tamano=32):\n"
            "    return tf.keras.Sequential([tf.keras.Input((tamano, tamano, 3)),\n"
            "                                hub.KerasLayer(handle, trainable=True),\n"
            "                                tf.keras.layers.Dense(num_clases, activation='softmax')])\n"
        ),
        # ej6: far too little training
        "ej6_entrenar": (
            "def entrenar(modelo, x, y, validacion=None, verbose=0):\n"
            "    return modelo.fit(x, y, epochs=1, batch_size=100, validation_data=validacion, verbose=verbose)\n"
            "\n"
            "def exactitud(modelo, x, y):\n"
            "    return float(np.mean(np.argmax(modelo.predict(x, verbose=0), axis=1) == y))\n"
        ),
        # ej5: compiles correctly but forgets to return the model
        "ej5_compilar": (
            "def compilar(modelo):\n"
            "    modelo.compile(tf.keras.optimizers.Adam(0.01), 'sparse_categorical_crossentropy', metrics=['accuracy'])\n"
        ),
        # ej7: changes trainable without recompiling
        "ej7_congelar_base": (
            "def congelar_base(modelo):\n"
            "    modelo.layers[0].trainable = False\n"
            "    return modelo\n"
        ),
    },
    "errores_b": {
        # ej1: scales twice
        "ej1_preprocesar": (
            "def preprocesar(imagenes, tamano=32):\n"
            "    imagenes = np.asarray(imagenes)\n"
            "    if imagenes.shape[1:] == (28, 28):\n"
            "        imagenes = np.pad(imagenes, ((0, 0), (2, 2), (2, 2)))\n"
            "    x = np.repeat((imagenes / 255.0).astype(np.float32)[..., None], 3, axis=-1)\n"
            "    x = x / 255.0\n"
            "    if x.shape[1] != tamano:\n"
            "        x = tf.image.resize(x, (tamano, tamano)).numpy()\n"
            "    return x.astype(np.float32)\n"
        ),
        # ej2: hub.load gives a SavedModel object, not a Keras layer
        "ej2_capa_base": (
            "def capa_base(handle):\n"
            "    return hub.load(handle)\n"
        ),
        # ej3: sigmoid output
        "ej3_cabeza": (
            "def cabeza(num_clases):\n"
            "    return tf.keras.layers.Dense(num_clases, activation='sigmoid')\n"
        ),
        # ej4: wrong input size (the 28x28 catalogue images)
        "ej4_modelo_completo": (
            "def modelo_completo(handle, num_clases, tamano=32):\n"
            "    return tf.keras.Sequential([tf.keras.Input((28, 28, 3)), capa_base(handle), cabeza(num_clases)])\n"
        ),
        # ej5: one-hot loss with integer labels
        "ej5_compilar": (
            "def compilar(modelo):\n"
            "    modelo.compile('adam', 'categorical_crossentropy', metrics=['accuracy'])\n"
            "    return modelo\n"
        ),
        # ej6: accuracy as a percentage
        "ej6_entrenar": (
            "def entrenar(modelo, x, y, validacion=None, verbose=0):\n"
            "    return modelo.fit(x, y, epochs=40, batch_size=16, validation_data=validacion, verbose=verbose)\n"
            "\n"
            "def exactitud(modelo, x, y):\n"
            "    return 100.0 * float(np.mean(np.argmax(modelo.predict(x, verbose=0), axis=1) == y))\n"
        ),
    },
    "errores_c": {
        # ej1: stretches the 28x28 images instead of padding them
        "ej1_preprocesar": (
            "def preprocesar(imagenes, tamano=32):\n"
            "    x = np.asarray(imagenes).astype(np.float32)[..., None] / 255.0\n"
            "    x = tf.image.resize(x, (tamano, tamano)).numpy()\n"
            "    return np.repeat(x, 3, axis=-1)\n"
        ),
        # ej2: backbone left trainable
        "ej2_capa_base": (
            "def capa_base(handle):\n"
            "    return hub.KerasLayer(handle, trainable=True)\n"
        ),
        # ej3: ReLU output
        "ej3_cabeza": (
            "def cabeza(num_clases):\n"
            "    return tf.keras.Sequential([tf.keras.layers.Dense(num_clases, activation='relu')])\n"
        ),
        # ej5: from_logits=True although the head is not logits (ReLU: graded against a softmax reference)
        "ej5_compilar": (
            "def compilar(modelo):\n"
            "    modelo.compile('adam', tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),\n"
            "                   metrics=['accuracy'])\n"
            "    return modelo\n"
        ),
    },
    "errores_d": {
        # ej1: ignores `tamano` (never resizes)
        "ej1_preprocesar": (
            "def preprocesar(imagenes, tamano=32):\n"
            "    imagenes = np.asarray(imagenes)\n"
            "    if imagenes.shape[1:] == (28, 28):\n"
            "        imagenes = np.pad(imagenes, ((0, 0), (2, 2), (2, 2)))\n"
            "    return np.repeat(imagenes.astype(np.float32)[..., None] / 255.0, 3, axis=-1)\n"
        ),
        # ej3 (correct): logits
        "ej3_cabeza": (
            "def cabeza(num_clases):\n"
            "    return tf.keras.layers.Dense(num_clases)\n"
        ),
        # ej4: ignores num_clases
        "ej4_modelo_completo": (
            "def modelo_completo(handle, num_clases, tamano=32):\n"
            "    return tf.keras.Sequential([tf.keras.Input((tamano, tamano, 3)), capa_base(handle), cabeza(5)])\n"
        ),
        # ej5: from_logits=False although the head outputs logits
        "ej5_compilar": (
            "def compilar(modelo):\n"
            "    modelo.compile('adam', 'sparse_categorical_crossentropy', metrics=['accuracy'])\n"
            "    return modelo\n"
        ),
        # ej6: ignores validacion
        "ej6_entrenar": (
            "def entrenar(modelo, x, y, validacion=None, verbose=0):\n"
            "    return modelo.fit(x, y, epochs=40, batch_size=16, verbose=verbose)\n"
            "\n"
            "def exactitud(modelo, x, y):\n"
            "    return float(np.mean(np.argmax(modelo.predict(x, verbose=0), axis=1) == y))\n"
        ),
    },
    # Correct alternatives in other styles.
    "variantes_a": {
        "ej1_preprocesar": (
            "def preprocesar(imagenes, tamano=32):\n"
            "    x = tf.convert_to_tensor(imagenes)[..., tf.newaxis]\n"
            "    x = tf.image.resize_with_crop_or_pad(x, 32, 32)\n"
            "    x = tf.image.grayscale_to_rgb(tf.cast(x, tf.float32) / 255.0)\n"
            "    if tamano != 32:\n"
            "        x = tf.image.resize(x, (tamano, tamano))\n"
            "    return x.numpy()\n"
        ),
        "ej2_capa_base": (
            "def capa_base(handle):\n"
            "    return tlcourse.hub.keras_layer(handle, trainable=False)\n"
        ),
        "ej3_cabeza": (
            "def cabeza(num_clases):\n"
            "    return tf.keras.layers.Dense(num_clases)   # logits\n"
        ),
        "ej4_modelo_completo": (
            "def modelo_completo(handle, num_clases, tamano=32):\n"
            "    entrada = tf.keras.Input(shape=(tamano, tamano, 3))\n"
            "    caracteristicas = capa_base(handle)(entrada)\n"
            "    return tf.keras.Model(entrada, cabeza(num_clases)(caracteristicas))\n"
        ),
        "ej5_compilar": (
            "def compilar(modelo):\n"
            "    modelo.compile(optimizer=tf.keras.optimizers.Adam(learning_rate=1e-3),\n"
            "                   loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),\n"
            "                   metrics=[tf.keras.metrics.SparseCategoricalAccuracy()])\n"
            "    return modelo\n"
        ),
        "ej6_entrenar": (
            "def entrenar(modelo, x, y, validacion=None, verbose=0):\n"
            "    return modelo.fit(x, y, epochs=60, batch_size=20, shuffle=True,\n"
            "                      validation_data=validacion, verbose=verbose)\n"
            "\n"
            "def exactitud(modelo, x, y):\n"
            "    return float(modelo.evaluate(x, y, batch_size=500, verbose=0)[1])\n"
        ),
        "ej7_congelar_base": (
            "def congelar_base(modelo):\n"
            "    for capa in modelo.layers:\n"
            "        if isinstance(capa, hub.KerasLayer):\n"
            "            capa.trainable = False\n"
            "    modelo.compile(optimizer=tf.keras.optimizers.Adam(), loss=modelo.loss, metrics=['accuracy'])\n"
            "    return modelo\n"
        ),
    },
    "variantes_b": {
        "ej1_preprocesar": (
            "def preprocesar(imagenes, tamano=32):\n"
            "    imagenes = data.pad_catalogo(imagenes) if imagenes.shape[1] == 28 else np.array(imagenes)\n"
            "    x = np.stack([imagenes] * 3, axis=-1).astype('float32') / 255\n"
            "    return x if tamano == 32 else tf.image.resize(x, [tamano, tamano]).numpy()\n"
        ),
        "ej3_cabeza": (
            "def cabeza(num_clases):\n"
            "    return tf.keras.Sequential([tf.keras.layers.Dropout(0.2),\n"
            "                                tf.keras.layers.Dense(num_clases, activation=tf.nn.softmax)])\n"
        ),
        "ej4_modelo_completo": (
            "def modelo_completo(handle, num_clases, tamano=32):\n"
            "    modelo = tf.keras.Sequential([capa_base(handle), cabeza(num_clases)])\n"
            "    modelo.build((None, tamano, tamano, 3))\n"
            "    return modelo\n"
        ),
        "ej5_compilar": (
            "def compilar(modelo):\n"
            "    modelo.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])\n"
            "    return modelo\n"
        ),
        "ej7_congelar_base": (
            "def congelar_base(modelo):\n"
            "    modelo.layers[0].trainable = False\n"
            "    return compilar(modelo)\n"
        ),
    },
}
WRONG = {
    "errores_a": {"ej1", "ej3", "ej4", "ej5", "ej6", "ej7"},
    "errores_b": {"ej1", "ej2", "ej3", "ej4", "ej5", "ej6"},
    "errores_c": {"ej1", "ej2", "ej3", "ej5"},
    "errores_d": {"ej1", "ej4", "ej5", "ej6"},
}


# ------------------------------------------------------------------ shipped comparison
def test_shipped_comparison_is_complete_and_matches_the_backbone():
    from tlcourse import curves

    table = curves.condition_comparison()
    assert set(table["condition"]) == set(curves.CONDITIONS)
    assert set(table["k"]) == {curves.COMPARISON_K}
    assert set(table["method"]) == set(curves.METHODS)
    assert table["accuracy"].between(0, 1).all()
    provenance = json.loads(curves.comparison_provenance_path().read_text())
    assert provenance["command"] == "tlcourse.curves.condition_comparison(recompute=True)"
    assert provenance["backbone_sha256"] == curves.backbone_sha256(), (
        "data/results/comparacion_condiciones.csv was computed with another backbone: run "
        "`python -m tlcourse results --conditions` and commit the result")


def test_campo_comparison_agrees_with_the_learning_curves():
    """Same functions, subset, seed and backbone: the k=20 campo baselines of both shipped files
    agree (the head differs on purpose: 03 trains it for more epochs)."""
    from tlcourse import curves

    comparison = curves.condition_comparison()
    campo = comparison[comparison.condition == "campo"].set_index("method")["accuracy"]
    sweep = curves.learning_curves()
    at_k = sweep[sweep.k == curves.COMPARISON_K].set_index("method")["accuracy"]
    assert campo["pixels"] == pytest.approx(at_k["pixels"], abs=0.002)
    # The scratch CNN is retrained from a seed; allow thread-scheduling noise, not a protocol change.
    assert campo["scratch"] == pytest.approx(at_k["scratch"], abs=0.02)
    provenance = json.loads(curves.comparison_provenance_path().read_text())
    assert provenance["head_epochs"] == curves.COMPARISON_HEAD_EPOCHS


def test_notebook_prose_quotes_the_shipped_comparison():
    """The table in the solution's prose is the shipped result, rounded as printed."""
    from tlcourse import curves

    table = curves.condition_comparison().pivot_table(index="condition", columns="method", values="accuracy")
    nb = grading.read_notebook(grading.source_path(A))
    prose = next(c.source for c in nb.cells
                 if c.cell_type == "markdown" and "| condición | píxeles + logística" in c.source)
    rows = {m.group(1): [float(v) for v in m.group(2, 3, 4)]
            for m in re.finditer(r"^\| (catálogo|campo) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \|$", prose, re.M)}
    assert set(rows) == {"catálogo", "campo"}, prose
    for name, condition in (("catálogo", "catalogo"), ("campo", "campo")):
        expected = [round(table.loc[condition, m], 2) for m in ("pixels", "scratch", "frozen")]
        assert rows[name] == pytest.approx(expected, abs=1e-9), (
            f"{name}: the notebook quotes {rows[name]}, data/results has {expected}: rebuild the notebook")


def test_grading_cells_bring_their_own_references():
    """No test cell takes an exercise's answer from the package (``to_model_input`` answers
    exercise 1; the feature helpers of ``baselines`` answer exercises 1 and 2 together)."""
    nb = grading.read_notebook(grading.source_path(A))
    answers = re.compile(r"to_model_input|tlcourse\.backbone|feature_extractor|extract_features|cached_features")
    offenders = [cell.metadata["nbgrader"]["grade_id"] for cell in nb.cells
                 if cell.metadata.get("nbgrader", {}).get("grade") and answers.search(cell.source)]
    assert not offenders, f"these test cells import an exercise's answer from tlcourse: {offenders}"
