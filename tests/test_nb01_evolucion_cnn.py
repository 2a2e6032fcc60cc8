"""Grader validity for 01_evolucion_cnn: full marks, zero, typical mistakes, correct variants."""

from __future__ import annotations

import pytest

from grader_corpus import (  # noqa: F401  (shared fixture and tests, collected here)
    graded, results, test_blank_release_scores_zero, test_each_mistake_loses_only_its_exercise,
    test_honest_submissions_are_never_flagged,
    test_solution_gets_full_marks, test_solution_runs_silently_within_memory_budget)

A = "01_evolucion_cnn"
pytestmark = pytest.mark.slow
MANUAL = "manual_comparables"  # graded by hand: autograde leaves it at 0 of its points

# name -> solution cells replaced (grade_id -> source)
CORPUS: dict[str, dict[str, str]] = {
    "solucion": {},
    # Typical mistakes, one exercise each (independent exercises share one submission).
    "errores": {
        # ej1: default read_csv: year (and weight_layers) become float64 because of the gaps
        "ej1_cargar_tabla": (
            "def cargar_tabla(ruta):\n"
            "    return pd.read_csv(ruta)\n"
        ),
        # ej2: reduction on the wrong base (the new error as denominator)
        "ej2_agregar_columnas": (
            "def agregar_columnas(tabla):\n"
            "    t = tabla.copy()\n"
            "    t['params_millions'] = t['params'] / 1e6\n"
            "    g = t['ilsvrc_place_task'].str.startswith(GANADOR)\n"
            "    e = t.loc[g, 'top5_error_pct']\n"
            "    t['error_reduction_pct'] = 100 * (e.shift() - e) / e\n"
            "    return t\n"
        ),
        # ej3: the best model overall instead of the first one below the human reference
        "ej3_consultas": (
            "def primer_bajo_humano(tabla):\n"
            "    modelos = tabla[tabla['model'] != HUMANO]\n"
            "    return modelos.loc[modelos['top5_error_pct'].idxmin(), 'model']\n"
            "\n"
            "def mayor_reduccion(tabla):\n"
            "    return tabla.loc[tabla['error_reduction_pct'].idxmax(), 'model']\n"
        ),
        # ej4: the human reference line is missing
        "ej4_graficar_error": (
            "def graficar_error(tabla, ax=None):\n"
            "    if ax is None:\n"
            "        fig, ax = plt.subplots()\n"
            "    d = tabla[tabla['model'] != HUMANO].dropna(subset=['year', 'top5_error_pct'])\n"
            "    ax.scatter(d['year'], d['top5_error_pct'])\n"
            "    for m, x, y in zip(d['model'], d['year'], d['top5_error_pct']):\n"
            "        ax.annotate(m, (x, y))\n"
            "    ax.set_xlabel('año')\n"
            "    ax.set_ylabel('error top-5 (%)')\n"
            "    return ax\n"
        ),
        # ej5: linear instead of log scale
        "ej5_graficar_parametros": (
            "def graficar_parametros(tabla, ax=None):\n"
            "    if ax is None:\n"
            "        fig, ax = plt.subplots()\n"
            "    d = tabla.dropna(subset=['params', 'top5_error_pct'])\n"
            "    ax.scatter(d['params'] / 1e6, d['top5_error_pct'])\n"
            "    for m, x, y in zip(d['model'], d['params'] / 1e6, d['top5_error_pct']):\n"
            "        ax.annotate(m, (x, y))\n"
            "    ax.set_xlabel('millones de parámetros')\n"
            "    ax.set_ylabel('error top-5 (%)')\n"
            "    return ax\n"
        ),
    },
    "errores_2": {
        # ej1: fills the missing year with 0 to get int64 (the human row gets year 0)
        "ej1_cargar_tabla": (
            "def cargar_tabla(ruta):\n"
            "    t = pd.read_csv(ruta)\n"
            "    t['year'] = t['year'].fillna(0).astype(int)\n"
            "    t['weight_layers'] = t['weight_layers'].fillna(0).astype(int)\n"
            "    return t\n"
        ),
        # ej2: winners by equality, so "1st, classification; ..." (ResNet-152) is missed
        "ej2_agregar_columnas": (
            "def agregar_columnas(tabla):\n"
            "    t = tabla.copy()\n"
            "    t['params_millions'] = t['params'] / 1e6\n"
            "    e = t.loc[t['ilsvrc_place_task'] == GANADOR, 'top5_error_pct']\n"
            "    t['error_reduction_pct'] = 100 * (e.shift() - e) / e.shift()\n"
            "    return t\n"
        ),
        # ej3: the human error written by hand instead of read from the table
        "ej3_consultas": (
            "def primer_bajo_humano(tabla):\n"
            "    debajo = tabla[(tabla['model'] != HUMANO) & (tabla['top5_error_pct'] < 5.1)]\n"
            "    return debajo['model'].iloc[0] if len(debajo) else None\n"
            "\n"
            "def mayor_reduccion(tabla):\n"
            "    return tabla.loc[tabla['error_reduction_pct'].idxmax(), 'model']\n"
        ),
        # ej4: only the winners are plotted (VGG-16, ZFNet missing)
        "ej4_graficar_error": (
            "def graficar_error(tabla, ax=None):\n"
            "    if ax is None:\n"
            "        fig, ax = plt.subplots()\n"
            "    g = tabla[tabla['ilsvrc_place_task'].str.startswith(GANADOR)]\n"
            "    ax.plot(g['year'], g['top5_error_pct'], 'o-')\n"
            "    for m, x, y in zip(g['model'], g['year'], g['top5_error_pct']):\n"
            "        ax.annotate(m, (x, y))\n"
            "    ax.axhline(tabla.loc[tabla['model'] == HUMANO, 'top5_error_pct'].iloc[0])\n"
            "    ax.set_xlabel('año')\n"
            "    ax.set_ylabel('error top-5 (%)')\n"
            "    return ax\n"
        ),
        # ej5: log10 of the values drawn on a linear axis
        "ej5_graficar_parametros": (
            "def graficar_parametros(tabla, ax=None):\n"
            "    if ax is None:\n"
            "        fig, ax = plt.subplots()\n"
            "    d = tabla.dropna(subset=['params', 'top5_error_pct'])\n"
            "    x = np.log10(d['params'] / 1e6)\n"
            "    ax.scatter(x, d['top5_error_pct'])\n"
            "    for m, xi, y in zip(d['model'], x, d['top5_error_pct']):\n"
            "        ax.annotate(m, (xi, y))\n"
            "    ax.set_xlabel('log10(millones de parámetros)')\n"
            "    ax.set_ylabel('error top-5 (%)')\n"
            "    return ax\n"
        ),
    },
    # Correct alternatives in other styles.
    "variantes": {
        # ej1: convert_dtypes (nullable Int64/Float64/string for everything)
        "ej1_cargar_tabla": (
            "def cargar_tabla(ruta):\n"
            "    return pd.read_csv(ruta).convert_dtypes()\n"
        ),
        # ej2: pct_change on the winners, assigned through .loc
        "ej2_agregar_columnas": (
            "def agregar_columnas(tabla):\n"
            "    t = tabla.copy()\n"
            "    t['params_millions'] = t['params'].div(1_000_000)\n"
            "    g = t['ilsvrc_place_task'].str.startswith('1st, classification')\n"
            "    t.loc[g, 'error_reduction_pct'] = -100 * t.loc[g, 'top5_error_pct'].pct_change()\n"
            "    return t\n"
        ),
        # ej3: a loop over sorted rows; nlargest
        "ej3_consultas": (
            "def primer_bajo_humano(tabla):\n"
            "    humano = float(tabla.query('model == @HUMANO')['top5_error_pct'].iloc[0])\n"
            "    for fila in tabla.sort_values('year').itertuples():\n"
            "        if fila.model != HUMANO and fila.top5_error_pct < humano:\n"
            "            return fila.model\n"
            "    return None\n"
            "\n"
            "def mayor_reduccion(tabla):\n"
            "    return tabla.nlargest(1, 'error_reduction_pct')['model'].iloc[0]\n"
        ),
        # ej4: pyplot API, plot with markers, plt.text
        "ej4_graficar_error": (
            "def graficar_error(tabla, ax=None):\n"
            "    plt.figure(figsize=(8, 4))\n"
            "    humano = tabla.loc[tabla['model'] == HUMANO, 'top5_error_pct'].item()\n"
            "    modelos = tabla[(tabla['model'] != HUMANO) & tabla['top5_error_pct'].notna()]\n"
            "    plt.plot(modelos['year'], modelos['top5_error_pct'], 'o')\n"
            "    for _, fila in modelos.iterrows():\n"
            "        plt.text(fila['year'], fila['top5_error_pct'], fila['model'])\n"
            "    plt.axhline(humano, linestyle=':')\n"
            "    plt.xlabel('Año')\n"
            "    plt.ylabel('Error top-5 [%]')\n"
            "    return plt.gca()\n"
        ),
        # ej5: semilogx with object-oriented set()
        "ej5_graficar_parametros": (
            "def graficar_parametros(tabla, ax=None):\n"
            "    if ax is None:\n"
            "        fig, ax = plt.subplots()\n"
            "    d = tabla[tabla['params'].notna() & tabla['top5_error_pct'].notna()]\n"
            "    ax.semilogx(d['params'] / 1e6, d['top5_error_pct'], 's')\n"
            "    for m, x, y in zip(d['model'], d['params'] / 1e6, d['top5_error_pct']):\n"
            "        ax.text(x, y, m)\n"
            "    ax.set(xlabel='Millones de parámetros', ylabel='Error top-5 (%)')\n"
            "    return ax\n"
        ),
    },
    "variantes_2": {
        # ej1: astype after reading
        "ej1_cargar_tabla": (
            "def cargar_tabla(ruta):\n"
            "    t = pd.read_csv(ruta)\n"
            "    return t.astype({'year': 'Int64', 'weight_layers': 'Int64'})\n"
        ),
        # ej2: diff over the previous winner, computed on a sub-table and merged back
        "ej2_agregar_columnas": (
            "def agregar_columnas(tabla):\n"
            "    ganadores = tabla[tabla['ilsvrc_place_task'].str.startswith(GANADOR)]\n"
            "    e = ganadores['top5_error_pct']\n"
            "    reduccion = (-e.diff() / e.shift() * 100).rename('error_reduction_pct')\n"
            "    return tabla.assign(params_millions=tabla['params'] / 10**6).join(reduccion)\n"
        ),
        # ej3: boolean masks with .loc and .first_valid_index
        "ej3_consultas": (
            "def primer_bajo_humano(tabla):\n"
            "    humano = tabla['top5_error_pct'][tabla['model'] == HUMANO].iloc[0]\n"
            "    ordenada = tabla.sort_values('year', kind='stable')\n"
            "    debajo = ordenada[(ordenada['model'] != HUMANO) & (ordenada['top5_error_pct'] < humano)]\n"
            "    i = debajo.first_valid_index()\n"
            "    return None if i is None else str(debajo.loc[i, 'model'])\n"
            "\n"
            "def mayor_reduccion(tabla):\n"
            "    orden = tabla.sort_values('error_reduction_pct', ascending=False, na_position='last')\n"
            "    return orden['model'].iloc[0]\n"
        ),
        # ej4: a connecting line through every model, ax.hlines, a legend that warns, plt.show()
        "ej4_graficar_error": (
            "def graficar_error(tabla, ax=None):\n"
            "    ax = ax or plt.subplots()[1]\n"
            "    h = tabla['model'] == HUMANO\n"
            "    d = tabla[~h & tabla['top5_error_pct'].notna()]\n"
            "    ax.plot(d['year'], d['top5_error_pct'], marker='o', linestyle='-')\n"
            "    for m, x, y in zip(d['model'], d['year'], d['top5_error_pct']):\n"
            "        ax.annotate(f'{m} ({y} %)', xy=(x, y))\n"
            "    ax.hlines(tabla.loc[h, 'top5_error_pct'].iloc[0], d['year'].min(), d['year'].max(), colors='red')\n"
            "    ax.set_xlabel('año de ILSVRC')\n"
            "    ax.set_ylabel('top-5 (%)')\n"
            "    ax.legend()  # no labelled artists: matplotlib warns, which must not cost points\n"
            "    plt.show()\n"
            "    return ax\n"
        ),
        # ej5: pyplot, log-log
        "ej5_graficar_parametros": (
            "def graficar_parametros(tabla, ax=None):\n"
            "    plt.figure()\n"
            "    d = tabla.dropna(subset=['params', 'top5_error_pct'])\n"
            "    plt.scatter(d['params'] / 1e6, d['top5_error_pct'])\n"
            "    for m, x, y in zip(d['model'], d['params'] / 1e6, d['top5_error_pct']):\n"
            "        plt.annotate(m, (x, y))\n"
            "    plt.xscale('log')\n"
            "    plt.yscale('log')\n"
            "    plt.xlabel('parámetros (M)')\n"
            "    plt.ylabel('error top-5 (%)')\n"
            "    return plt.gca()\n"
        ),
    },
    # Exercises are independent: with ej1 left undone (so `tabla` never exists), the
    # others still get full marks.
    "sin_ej1": {
        "ej1_cargar_tabla": "def cargar_tabla(ruta):\n    raise NotImplementedError()\n",
    },
}
WRONG = {
    "errores": {"ej1", "ej2", "ej3", "ej4", "ej5"},
    "errores_2": {"ej1", "ej2", "ej3", "ej4", "ej5"},
    "sin_ej1": {"ej1"},
}


def test_manual_question_is_part_of_the_grade(results):
    assert results["solucion"][MANUAL].max_score == 2, "the manual question is part of the grade"


