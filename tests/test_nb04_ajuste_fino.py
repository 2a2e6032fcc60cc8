"""Grader validity for 04_ajuste_fino: full marks, zero, typical mistakes, correct variants.

Mistakes that change the fine-tuning pipeline are spread over submissions so that none
of them combines into a different failure (e.g. every layer unfrozen *and* BatchNorm in
training mode): each submission checks that a mistake costs only its own exercise.
"""

from __future__ import annotations

import json

import pytest

from grader_corpus import (  # noqa: F401  (shared fixture and tests, collected here)
    graded, results, test_blank_release_scores_zero, test_each_mistake_loses_only_its_exercise,
    test_honest_submissions_are_never_flagged,
    test_solution_gets_full_marks, test_solution_runs_silently_within_memory_budget)

A = "04_ajuste_fino"

# name -> solution cells replaced (grade_id -> source)
CORPUS: dict[str, dict[str, str]] = {
    "solucion": {},
    "errores_1": {
        # ej1: every layer unfrozen (BatchNormalization included)
        "ej1_descongelar_bloque_superior": (
            "def descongelar_bloque_superior(backbone, prefijo='block4'):\n"
            "    backbone.trainable = True\n"
            "    return backbone\n"
        ),
        # ej3: no recompile, only the learning rate of the old optimizer changes
        "ej3_compilar_ajuste": (
            "def compilar_ajuste(modelo, lr_base):\n"
            "    modelo.optimizer.learning_rate.assign(lr_base / 10)\n"
            "    return modelo\n"
        ),
        # ej4: no initial_epoch (epochs restart at 0)
        "ej4_seguir_entrenando": (
            "def seguir_entrenando(modelo, x, y, historia_previa, epocas_extra, batch_size=32, verbose=2):\n"
            "    return modelo.fit(x, y, epochs=epocas_extra, batch_size=batch_size, verbose=verbose)\n"
        ),
    },
    "errores_2": {
        # ej2: BatchNormalization left in training mode (Sequential cannot pass training=False)
        "ej2_construir_modelo": (
            "def construir_modelo(backbone, num_clases=5):\n"
            "    return tf.keras.Sequential([tf.keras.Input((32, 32, 3)), backbone,\n"
            "                                tf.keras.layers.Dense(num_clases, activation='softmax')])\n"
        ),
        # ej3: learning rate not lowered
        "ej3_compilar_ajuste": (
            "def compilar_ajuste(modelo, lr_base):\n"
            "    modelo.compile(tf.keras.optimizers.Adam(lr_base), 'sparse_categorical_crossentropy',\n"
            "                   metrics=['accuracy'])\n"
            "    return modelo\n"
        ),
    },
    # ej3: a correct recompile that forgets to return the model (the text asks for it)
    "errores_3": {
        "ej3_compilar_ajuste": (
            "def compilar_ajuste(modelo, lr_base):\n"
            "    modelo.compile(tf.keras.optimizers.Adam(lr_base / 10), 'sparse_categorical_crossentropy',\n"
            "                   metrics=['accuracy'])\n"
        ),
    },
    # ej3: the wrong loss for integer labels and a softmax output
    "errores_4": {
        "ej3_compilar_ajuste": (
            "def compilar_ajuste(modelo, lr_base):\n"
            "    modelo.compile(tf.keras.optimizers.Adam(lr_base / 10), loss='mean_squared_error',\n"
            "                   metrics=['accuracy'])\n"
            "    return modelo\n"
        ),
    },
    # Correct alternatives in other styles.
    "variantes": {
        # ej1 by index: the last four layers are block4_conv1, block4_bn1, block4_relu1, features
        "ej1_descongelar_bloque_superior": (
            "def descongelar_bloque_superior(backbone, prefijo='block4'):\n"
            "    backbone.trainable = True\n"
            "    for capa in backbone.layers[:13]:  # el bloque superior empieza en la capa 13\n"
            "        capa.trainable = False\n"
            "    for capa in backbone.layers:\n"
            "        if isinstance(capa, tf.keras.layers.BatchNormalization):\n"
            "            capa.trainable = False\n"
            "    return backbone\n"
        ),
        # ej2: dropout, logits layer + separate softmax activation
        "ej2_construir_modelo": (
            "def construir_modelo(backbone, num_clases=5):\n"
            "    entrada = tf.keras.layers.Input(shape=(32, 32, 3))\n"
            "    x = tf.keras.layers.Dropout(0.2)(backbone(entrada, training=False))\n"
            "    x = tf.keras.layers.Dense(num_clases)(x)\n"
            "    return tf.keras.Model(inputs=entrada, outputs=tf.keras.layers.Activation('softmax')(x))\n"
        ),
        # ej3: 100x lower, loss and metric objects
        "ej3_compilar_ajuste": (
            "def compilar_ajuste(modelo, lr_base):\n"
            "    modelo.compile(optimizer=tf.keras.optimizers.Adam(lr_base * 0.01),\n"
            "                   loss=tf.keras.losses.SparseCategoricalCrossentropy(),\n"
            "                   metrics=[tf.keras.metrics.SparseCategoricalAccuracy()])\n"
            "    return modelo\n"
        ),
        # ej4: last epoch index + 1
        "ej4_seguir_entrenando": (
            "def seguir_entrenando(modelo, x, y, historia_previa, epocas_extra, batch_size=32, verbose=2):\n"
            "    ultima = historia_previa.epoch[-1] + 1\n"
            "    h = modelo.fit(x, y, batch_size=batch_size, epochs=ultima + epocas_extra,\n"
            "                   initial_epoch=ultima, verbose=verbose)\n"
            "    return h\n"
        ),
        # ej5: scikit-learn
        "ej5_comparar": (
            "from sklearn.metrics import accuracy_score\n"
            "def exactitud(probabilidades, y):\n"
            "    return accuracy_score(y, probabilidades.argmax(-1))\n"
            "acc_congelado = exactitud(prob_congelado, y_test)\n"
            "acc_ajustado = exactitud(modelo.predict(entrada_test, verbose=0), y_test)\n"
        ),
    },
}
WRONG = {"errores_1": {"ej1", "ej3", "ej4"}, "errores_2": {"ej2", "ej3"}, "errores_3": {"ej3"}, "errores_4": {"ej3"}}


# ------------------------------------------------------------------ shipped learning curves
def test_shipped_curves_are_complete():
    from tlcourse import curves

    table = curves.learning_curves()
    assert set(table["method"]) == set(curves.METHODS)
    assert sorted(set(table["k"])) == list(curves.KS)
    assert table["accuracy"].between(0, 1).all()


def test_shipped_curves_match_the_committed_backbone():
    from tlcourse import curves

    provenance = json.loads(curves.provenance_path().read_text())
    assert provenance["command"] == "tlcourse.curves.learning_curves(recompute=True)"
    assert provenance["backbone_sha256"] == curves.backbone_sha256(), (
        "data/results/ was computed with another backbone: run "
        "`python -m tlcourse.curves` and commit the result")
