"""Grader validity for 00_entorno: full marks, zero, typical mistakes, correct variants."""

from __future__ import annotations

import pytest

from grader_corpus import (  # noqa: F401  (shared fixture and tests, collected here)
    graded, results, test_blank_release_scores_zero, test_each_mistake_loses_only_its_exercise,
    test_honest_submissions_are_never_flagged,
    test_solution_gets_full_marks, test_solution_runs_silently_within_memory_budget)

A = "00_entorno"
pytestmark = pytest.mark.slow

# name -> solution cells replaced (grade_id -> source)
CORPUS: dict[str, dict[str, str]] = {
    "solucion": {},
    # Typical mistakes, one exercise each (independent exercises share one submission).
    "errores": {
        # ej1: counts labels instead of distinct labels
        "ej1_resumen_datos": (
            "def resumen_datos(x, y):\n"
            "    n, alto, ancho = x.shape\n"
            "    return {'n': n, 'alto': alto, 'ancho': ancho, 'clases': len(y),"
            " 'min': int(x.min()), 'max': int(x.max())}\n"
        ),
        # ej2: np.unique drops the classes that do not appear
        "ej2_proporcion_por_clase": (
            "def proporcion_por_clase(y, num_clases=10):\n"
            "    valores, conteos = np.unique(y, return_counts=True)\n"
            "    return conteos / conteos.sum()\n"
        ),
        # ej3: logits instead of softmax
        "ej3_modelo_minimo": (
            "def modelo_minimo():\n"
            "    return tf.keras.Sequential([tf.keras.Input(shape=(28, 28)),"
            " tf.keras.layers.Flatten(), tf.keras.layers.Dense(10)])\n"
        ),
    },
    # Correct alternatives in other styles.
    "variantes": {
        "ej1_resumen_datos": (
            "def resumen_datos(x, y):\n"
            "    return dict(n=len(x), alto=x.shape[1], ancho=x.shape[2],"
            " clases=len(set(np.asarray(y).tolist())), min=int(np.min(x)), max=int(np.max(x)))\n"
        ),
        "ej2_proporcion_por_clase": (
            "import pandas as pd\n"
            "def proporcion_por_clase(y, num_clases=10):\n"
            "    s = pd.Series(y).value_counts(normalize=True)\n"
            "    return s.reindex(range(num_clases), fill_value=0.0).to_numpy()\n"
        ),
        "ej3_modelo_minimo": (
            "def modelo_minimo():\n"
            "    entrada = tf.keras.Input(shape=(28, 28))\n"
            "    salida = tf.keras.layers.Dense(10, activation=tf.nn.softmax)(tf.keras.layers.Flatten()(entrada))\n"
            "    return tf.keras.Model(entrada, salida)\n"
        ),
    },
}
WRONG = {"errores": {"ej1", "ej2", "ej3"}}


