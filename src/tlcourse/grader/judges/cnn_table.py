"""Judge of 01_evolucion_cnn: loading the table, derived columns, queries and two plots.

Every exercise is evaluated on tables drawn for this run (the course CSV's rows, shuffled,
subsampled and with perturbed numbers, plus a human reference row), so answers cannot be
precomputed; the expected values come from the judge's own reference computations.
"""

from __future__ import annotations

from functools import lru_cache

import io
from typing import Any

import numpy as np
import pandas as pd

from tlcourse.cnn_table import COLUMNS, HUMAN, WINNER_PREFIX, as_float, csv_path
from tlcourse.plot_reading import same_points
from tlcourse.grader.judging import PASS, Evidence, Verdict, fail

DTYPES = {"year": "Int64", "weight_layers": "Int64"}

_TABLE = "_tlc_tabla = lambda clave: __import__('pandas').read_csv(__import__('io').StringIO(str(RETO[clave])), dtype={'year': 'Int64', 'weight_layers': 'Int64'})\n"
_AXES = ("_tlc_ejes = lambda f, t: (lambda ev, ax: {'es_axes': isinstance(ax, __import__('matplotlib').axes.Axes), "
         "'puntos': ev.data_points(ax).tolist(), 'horizontales': ev.horizontal_lines(ax), 'textos': ev.texts(ax), "
         "'xlabel': ax.get_xlabel(), 'ylabel': ax.get_ylabel(), 'xscale': ax.get_xscale()})"
         "(__import__('tlcourse.plot_reading').plot_reading, __import__('tlcourse.plot_reading').plot_reading.fresh_plot(f, t))\n")

PROBES = {
    "test_ej1_tipos": (
        "import pathlib, tempfile\n"
        "_tlc_ruta = pathlib.Path(tempfile.mkdtemp()) / 'tabla.csv'\n"
        "_tlc_ruta.write_text(str(RETO['ej1_csv']))\n"
        "registrar('ej1_real', lambda: __import__('tlcourse.grader.evidence').grader.evidence.table(cargar_tabla(__import__('tlcourse.cnn_table').cnn_table.csv_path())))\n"
        "registrar('ej1_reto', lambda: __import__('tlcourse.grader.evidence').grader.evidence.table(cargar_tabla(_tlc_ruta)))\n"
    ),
    "test_ej2_columnas": _TABLE + (
        "registrar('ej2', lambda: [__import__('tlcourse.grader.evidence').grader.evidence.table(agregar_columnas(_tlc_tabla(f'tabla{i}'))) for i in range(3)])\n"),
    "test_ej3_consultas": _TABLE + (
        "registrar('ej3_humano', lambda: [primer_bajo_humano(_tlc_tabla(f'tabla{i}')) for i in range(3)])\n"
        "def _tlc_con_reduccion(i):\n"
        "    t = _tlc_tabla(f'tabla{i}')\n"
        "    t['error_reduction_pct'] = RETO[f'reduccion{i}']\n"
        "    return t\n"
        "registrar('ej3_reduccion', lambda: [mayor_reduccion(_tlc_con_reduccion(i)) for i in range(3)])\n"),
    "test_ej4_grafico_error": _TABLE + _AXES + (
        "registrar('ej4', lambda: [_tlc_ejes(graficar_error, _tlc_tabla(f'tabla{i}')) for i in range(2)])\n"),
    "test_ej5_grafico_parametros": _TABLE + _AXES + (
        "registrar('ej5', lambda: [_tlc_ejes(graficar_parametros, _tlc_tabla(f'tabla{i}')) for i in range(2)])\n"),
}


@lru_cache(maxsize=1)
def _read_course_table() -> pd.DataFrame:
    return pd.read_csv(csv_path(), dtype=DTYPES)


def _course_table() -> pd.DataFrame:
    """The course's CSV (read once per process; each caller gets its own copy)."""
    return _read_course_table().copy()


def _drawn_table(rng: np.random.Generator) -> pd.DataFrame:
    """The course's milestones, shuffled by year ties kept in order, some dropped, numbers
    perturbed, and the human reference at a random error.

    Rows are drawn again until :func:`_tells_rows` holds, and the human error until the first
    model below it differs both from the one below the course's own 5.1 % and from the model
    with the lowest error: on every drawn table, each typical mistake the corpus holds (a
    winner found by equality, the new error as the base of the reduction, a hard-coded human
    error, the best model instead of the first one below the human, a plot of the winners
    only) gives another answer than the right code.
    """
    table = _course_table()
    human = table[table["model"] == HUMAN].copy()
    course_human = float(human["top5_error_pct"].iloc[0])
    models = table[table["model"] != HUMAN]
    for _ in range(1000):
        keep = np.sort(rng.choice(len(models), size=int(rng.integers(5, len(models) + 1)), replace=False))
        rows = models.iloc[keep].copy()
        rows["top5_error_pct"] = (rows["top5_error_pct"] * rng.uniform(0.6, 1.4, len(rows))).round(2)
        rows["params"] = (rows["params"] * rng.uniform(0.5, 2.0, len(rows))).round(0)
        rows["model"] = [f"{name} ({i})" for i, name in enumerate(rows["model"])]
        if not _tells_rows(rows):
            continue
        avoid = {_first_below(rows, course_human), rows.loc[rows["top5_error_pct"].idxmin(), "model"]}
        for _ in range(100):
            error = float(np.round(rng.uniform(2.0, 16.0), 2))
            if _first_below(rows, error) not in avoid:
                human["top5_error_pct"] = error
                return pd.concat([rows, human], ignore_index=True)
    raise RuntimeError("no drawn table tells the typical mistakes apart")  # never seen; tests draw many


def _tells_rows(rows: pd.DataFrame) -> bool:
    """Whether the models drawn for a table tell the typical mistakes of exercises 2 and 4 apart.

    A winner whose place goes on after ``WINNER_PREFIX`` (ResNet-152, SENet) follows another
    winner (so ``== WINNER_PREFIX`` misses a reduction); for two consecutive winners, the
    reduction over the new error differs from the one over the previous error by more than a
    point (the judge's tolerance is 0.01); a model that did not win has a year and an error
    (so a plot of the winners alone misses a point).
    """
    place = rows["ilsvrc_place_task"].fillna("")
    winners = _winners(rows)
    error = rows.loc[winners, "top5_error_pct"].to_numpy(dtype=float)
    previous, new = error[:-1], error[1:]
    bases_differ = np.abs(100 * (previous - new) / new - 100 * (previous - new) / previous) > 1
    suffixed = (place[winners] != WINNER_PREFIX).to_numpy()
    others = rows[~winners].dropna(subset=["year", "top5_error_pct"])
    return bool(suffixed[1:].any() and bases_differ.any() and len(others))


def challenge(seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    arrays: dict[str, np.ndarray] = {"ej1_csv": np.array(_drawn_table(rng).to_csv(index=False))}
    for i in range(3):
        table = _drawn_table(rng)
        arrays[f"tabla{i}"] = np.array(table.to_csv(index=False))
        reduction = rng.uniform(0, 60, len(table)).round(2)
        reduction[rng.random(len(table)) < 0.3] = np.nan
        reduction[int(rng.integers(len(table)))] = 61.0  # one clear maximum
        arrays[f"reduccion{i}"] = reduction
    return arrays


def _table(reto: dict[str, np.ndarray], key: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(str(reto[key])), dtype=DTYPES)


def _same_column(got: dict[str, Any], column: str, expected: Any) -> bool:
    values = got.get("values", {}).get(column)
    return values is not None and np.allclose(as_float(values), as_float(expected), equal_nan=True, atol=0.01)


def _loaded_right(got: Any, expected: pd.DataFrame) -> str | None:
    if not isinstance(got, dict) or got.get("columns") != list(COLUMNS):
        return f"las columnas deben ser las del CSV, en el mismo orden: {list(COLUMNS)}"
    dtypes = got.get("dtypes", {})
    for column in ("year", "weight_layers"):
        if not str(dtypes.get(column, "")).startswith(("Int", "int")):
            return f"`{column}` debe ser de tipo entero nulable ('Int64'), no {dtypes.get(column)}"
    if not str(dtypes.get("top5_error_pct", "")).startswith(("float", "Float")):
        return f"`top5_error_pct` debe ser numérica con decimales, no {dtypes.get('top5_error_pct')}"
    if not str(dtypes.get("params", "")).startswith(("float", "Float", "int", "Int")):
        return f"`params` debe ser numérica, no {dtypes.get('params')}"
    if got.get("values", {}).get("model") != expected["model"].tolist():
        return "las filas no son las del archivo que recibe `ruta`"
    for column in ("year", "top5_error_pct", "params", "weight_layers"):
        if not _same_column(got, column, expected[column]):
            return f"los valores de `{column}` no coinciden con el archivo"
    return None


def _winners(table: pd.DataFrame) -> pd.Series:
    """Which rows won their ILSVRC task (the place starts with ``WINNER_PREFIX``)."""
    return table["ilsvrc_place_task"].str.startswith(WINNER_PREFIX, na=False)


def _with_columns(table: pd.DataFrame) -> pd.DataFrame:
    """The reference answer of exercise 2."""
    new = table.copy()
    new["params_millions"] = new["params"] / 1e6
    winners = _winners(new)
    error = new.loc[winners, "top5_error_pct"]
    previous = error.shift(1)
    new["error_reduction_pct"] = 100 * (previous - error) / previous
    return new


def _first_below(models: pd.DataFrame, human: float) -> str | None:
    """The first model by year (ties in table order) whose top-5 error is below ``human``."""
    below = models[models["top5_error_pct"] < human].sort_values("year", kind="stable")
    return below["model"].iloc[0] if len(below) else None


def _first_below_human(table: pd.DataFrame) -> str | None:
    """The reference answer of exercise 3's first query, on a table with its human row."""
    human = table.loc[table["model"] == HUMAN, "top5_error_pct"].iloc[0]
    return _first_below(table[table["model"] != HUMAN], human)


def _plot_verdict(got: Any, table: pd.DataFrame, x: str, what: str) -> str | None:
    if not isinstance(got, dict) or not got.get("es_axes"):
        return "la función debe devolver el objeto Axes de matplotlib"
    if not (got.get("xlabel") and got.get("ylabel")):
        return "pon nombre a los dos ejes con set_xlabel y set_ylabel"
    rows = table[table["model"] != HUMAN] if x == "year" else table
    rows = rows.dropna(subset=[x, "top5_error_pct"])
    xs = as_float(rows[x]) / (1e6 if x == "params" else 1)
    expected = np.column_stack([xs, as_float(rows["top5_error_pct"])])
    if not same_points(np.asarray(got.get("puntos") or [], dtype=float), expected):
        return f"los puntos deben ser ({what}, error top-5) de cada modelo que tiene ambos valores"
    labels = [str(text) for text in got.get("textos") or []]
    if any(not any(str(name) in label for label in labels) for name in rows["model"]):
        return "cada punto debe llevar el nombre de su modelo (ax.annotate o ax.text)"
    return None


def judge(grade_id: str, evidence: Evidence, reto: dict[str, np.ndarray]) -> Verdict:
    if grade_id == "test_ej1_tipos":
        for name, expected in (("ej1_real", _course_table()), ("ej1_reto", _table(reto, "ej1_csv"))):
            problem = _loaded_right(evidence.value(name), expected)
            if problem:
                where = "con la tabla del curso" if name == "ej1_real" else "con otro archivo de la misma forma"
                return fail(f"cargar_tabla {where}: {problem}.")
        return PASS
    if grade_id == "test_ej2_columnas":
        got = evidence.value("ej2")
        for i in range(3):
            table, answer = _table(reto, f"tabla{i}"), got[i] if isinstance(got, list) and len(got) == 3 else None
            expected = _with_columns(table)
            if not isinstance(answer, dict) or not set(COLUMNS) <= set(answer.get("columns", [])):
                return fail("agregar_columnas debe devolver la tabla con sus columnas originales y las dos nuevas.")
            if answer.get("values", {}).get("model") != table["model"].tolist():
                return fail("agregar_columnas debe conservar todas las filas, en el mismo orden.")
            if not _same_column(answer, "params_millions", expected["params_millions"]):
                return fail("`params_millions` no es params dividido entre 1 000 000.")
            if not _same_column(answer, "error_reduction_pct", expected["error_reduction_pct"]):
                return fail("`error_reduction_pct` no es correcta (¿base = ganador anterior?, ¿solo ganadores?, ¿en %?).")
        return PASS
    if grade_id == "test_ej3_consultas":
        humans, reductions = evidence.value("ej3_humano"), evidence.value("ej3_reduccion")
        for i in range(3):
            table = _table(reto, f"tabla{i}")
            if not isinstance(humans, list) or len(humans) != 3 or humans[i] != _first_below_human(table):
                return fail("primer_bajo_humano no da el primer modelo (por año) con error menor que el humano "
                            "de la tabla que recibe (o None si no hay ninguno).")
            best = table["model"].iloc[int(np.nanargmax(reto[f"reduccion{i}"]))]
            if not isinstance(reductions, list) or len(reductions) != 3 or reductions[i] != best:
                return fail("mayor_reduccion no da el modelo con la mayor error_reduction_pct de la tabla que recibe.")
        return PASS
    if grade_id in ("test_ej4_grafico_error", "test_ej5_grafico_parametros"):
        exercise, x, what = (("ej4", "year", "año") if grade_id == "test_ej4_grafico_error"
                             else ("ej5", "params", "parámetros en millones"))
        got = evidence.value(exercise)
        for i in range(2):
            table = _table(reto, f"tabla{i}")
            answer = got[i] if isinstance(got, list) and len(got) == 2 else None
            problem = _plot_verdict(answer, table, x, what)
            if problem:
                return fail(f"Con otra tabla, {problem}.")
            if exercise == "ej4":
                human = float(table.loc[table["model"] == HUMAN, "top5_error_pct"].iloc[0])
                if not any(np.isclose(y, human) for y in answer.get("horizontales") or []):
                    return fail("Con otra tabla, la línea horizontal debe estar en el error humano de la tabla.")
            elif answer.get("xscale") != "log":
                return fail("El eje x debe estar en escala logarítmica (ax.set_xscale('log')).")
        return PASS
    return fail(f"celda sin juez: {grade_id}")
