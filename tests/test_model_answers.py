"""Numbers quoted in the notebooks' prose and model answers agree with the tables students see.

A model answer that quotes a number the shipped results do not contain makes graders mark
correct students down. These checks read the solution notebooks (``solutions/``, the single
source of the releases) and compare what their Markdown says with ``data/results/*.csv`` and
``data/cnn_evolution.csv``. Fast: nothing is executed.
"""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]
CURVES_CSV = REPO / "data" / "results" / "curvas_aprendizaje.csv"
STUDY_CSV = REPO / "data" / "results" / "ajuste_fino_estudio.csv"  # fine-tuned vs matched control
AUGMENT_CSV = REPO / "data" / "results" / "aumentacion_estudio.csv"  # with vs without augmentation
EVOLUTION_CSV = REPO / "data" / "cnn_evolution.csv"

# A Spanish decimal as the notebooks write it: optional sign (minus sign or hyphen), comma.
NUMBER = re.compile(r"(?<![\w,.])([+−-]?)(\d+),(\d+)(?![\d])")


def markdown(assignment: str) -> dict[str, str]:
    """Markdown cells of a solution notebook, keyed by grade_id (or by position if ungraded)."""
    path = REPO / "solutions" / assignment / f"{assignment}.ipynb"
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    out = {}
    for i, cell in enumerate(cells):
        if cell["cell_type"] == "markdown":
            key = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") or f"celda {i}"
            out[key] = "".join(cell["source"])
    return out


def spanish(x: float, decimals: int, sign: bool = False) -> str:
    text = f"{x:+.{decimals}f}" if sign else f"{x:.{decimals}f}"
    return text.replace("-", "−").replace(".", ",")


def quoted(text: str) -> list[tuple[str, float, int]]:
    """(as written, value, decimals) of every decimal number in `text`."""
    found = []
    for sign, whole, frac in NUMBER.findall(text):
        value = float(f"{whole}.{frac}") * (-1 if sign in "−-" and sign else 1)
        found.append((f"{sign}{whole},{frac}", value, len(frac)))
    return found


@pytest.fixture(scope="module")
def curves() -> pd.DataFrame:
    return pd.read_csv(CURVES_CSV).pivot_table(index="k", columns="method", values="accuracy")


@pytest.fixture(scope="module")
def fine_minus_frozen(curves) -> dict[int, float]:
    return {int(k): round(float(v), 4) for k, v in (curves["fine_tuned"] - curves["frozen"]).items()}


def _curve_values(curves: pd.DataFrame) -> tuple[set[float], set[float]]:
    """Accuracies of the learning curves and the differences between methods at the same k."""
    accuracies = {float(v) for v in curves.to_numpy().ravel()}
    differences = set()
    for _, row in curves.iterrows():
        for a, b in itertools.permutations(row.index, 2):
            differences.add(float(row[a] - row[b]))
    return accuracies, differences


@pytest.fixture(scope="module")
def study() -> pd.DataFrame:
    return pd.read_csv(STUDY_CSV)


def _study_values(study: pd.DataFrame) -> tuple[set[float], set[float]]:
    """Accuracies of phase 1 and of both arms, and the gains (mean, min, max) and their spreads, of the study."""
    accuracies = {float(v) for v in study[["phase1", "control", "fine_tuned"]].to_numpy().ravel()}
    gains = {float(v) for v in study[["gain", "gain_min", "gain_max"]].to_numpy().ravel()}
    return accuracies | {float(v) for v in study["gain_sd"]}, gains


# ---------------------------------------------------------------------------------------
# 04: every accuracy-like number of its prose and model answer is in the results files
# ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def augment() -> pd.DataFrame:
    return pd.read_csv(AUGMENT_CSV)


def _augment_values(augment: pd.DataFrame) -> tuple[set[float], set[float]]:
    """Accuracies of both arms and spreads, and the gains (mean, min, max), of the augmentation study."""
    unsigned = {float(v) for v in augment[["without", "with", "without_sd", "with_sd", "gain_sd"]].to_numpy().ravel()}
    return unsigned, {float(v) for v in augment[["gain", "gain_min", "gain_max"]].to_numpy().ravel()}


def test_04_numbers_are_in_the_learning_curves(curves, study, augment):
    accuracies, differences = _curve_values(curves)
    study_unsigned, study_signed = _study_values(study)
    augment_unsigned, augment_signed = _augment_values(augment)
    accuracies |= study_unsigned | augment_unsigned
    differences |= study_signed | augment_signed
    wrong = []
    for cell, text in markdown("04_ajuste_fino").items():
        for written, value, decimals in quoted(text):
            if decimals < 2 or abs(value) >= 1:  # accuracies and gaps: 0,xx or 0,xxx
                continue
            tolerance = 0.5 * 10 ** -decimals + 1e-9
            signed = written[0] in "+−-"
            pool = differences if signed else accuracies | {abs(d) for d in differences}
            if not any(abs(value - v) <= tolerance for v in pool):
                wrong.append(f"{cell}: {written}")
    assert not wrong, (
        f"04_ajuste_fino quotes numbers that are neither an accuracy of {CURVES_CSV.name} nor a "
        f"difference between two methods at the same k, nor a number of {STUDY_CSV.name} or "
        f"{AUGMENT_CSV.name}: {wrong}")


def test_04_quotes_every_study_gain_with_its_spread(study):
    """Each setting of the matched-control study: its mean gain and its standard deviation,
    rounded as the notebook's table rounds them (``DataFrame.round(3)``)."""
    text = "\n".join(markdown("04_ajuste_fino").values())
    missing = [f"{row.setting}: {spanish(row.gain, 3, sign=True)} ± {spanish(row.gain_sd, 3)}"
               for row in study.round(3).itertuples()
               if f"{spanish(row.gain, 3, sign=True)} ± {spanish(row.gain_sd, 3)}" not in text]
    assert not missing, f"04 must quote each gain of {STUDY_CSV.name} as 'mean ± sd': {missing}"


def test_04_quotes_every_augmentation_gain_with_its_spread_and_range(augment):
    """Each model of the augmentation study: 'mean ± sd' of its gain, its range and both accuracies,
    rounded as the notebook's table rounds them (``DataFrame.round(3)``)."""
    text = "\n".join(markdown("04_ajuste_fino").values())
    missing = []
    for row in augment.round(3).to_dict("records"):  # ("with" is a Python keyword: no itertuples)
        quotes = [f"{spanish(row['gain'], 3, sign=True)} ± {spanish(row['gain_sd'], 3)}",
                  f"de {spanish(row['gain_min'], 3, sign=True)} a {spanish(row['gain_max'], 3, sign=True)}",
                  spanish(row["without"], 3), spanish(row["with"], 3)]
        missing += [f"{row['model']}: {q}" for q in quotes if q not in text]
    assert not missing, f"04 must quote the augmentation study as {AUGMENT_CSV.name} gives it: {missing}"


def test_04_label_budget_answer_reads_the_crossing_from_the_curves(curves):
    """(a) of manual_curvas: where the scratch CNN reaches the frozen backbone's k = 5 accuracy."""
    target = curves.loc[5, "frozen"]
    ks = sorted(int(k) for k in curves.index)
    above = [k for k in ks if curves.loc[k, "scratch"] >= target]
    assert above, "the scratch CNN never reaches the frozen backbone's k = 5 accuracy"
    hi = above[0]
    lo = ks[ks.index(hi) - 1]
    answer = markdown("04_ajuste_fino")["manual_curvas"]
    expected = f"entre {lo} y {hi} imágenes por clase"
    assert expected in answer, (
        f"manual_curvas must say the scratch CNN reaches {spanish(target, 3)} (frozen, k = 5) "
        f"'{expected}' ({spanish(curves.loc[lo, 'scratch'], 3)} at {lo}, "
        f"{spanish(curves.loc[hi, 'scratch'], 3)} at {hi}, from {CURVES_CSV.name})")
    for k in (lo, hi):
        assert spanish(curves.loc[k, "scratch"], 3) in answer, f"quote the scratch accuracy at k = {k}"


def test_04_fine_tuning_gains_are_quoted_as_the_curves_give_them(fine_minus_frozen):
    text = markdown("04_ajuste_fino")
    listed = "; ".join(spanish(fine_minus_frozen[k], 3, sign=fine_minus_frozen[k] != 0)
                       for k in sorted(fine_minus_frozen))
    # "0,000; −0,006; −0,009; +0,009 y +0,002" (the last separator is "y")
    expected = " y ".join(listed.rsplit("; ", 1))
    assert any(expected in cell for cell in text.values()), (
        f"04 must quote fine-tuned − frozen per k as {CURVES_CSV.name} gives it: '{expected}'")


@pytest.mark.parametrize("assignment, cell", [("04_ajuste_fino", "manual_curvas"),
                                              ("06_proyecto", "manual_mas_etiquetas")])
def test_fine_tuning_range_in_model_answers(fine_minus_frozen, assignment, cell):
    low, high = min(fine_minus_frozen.values()), max(fine_minus_frozen.values())
    expected = f"entre {spanish(low, 3, sign=True)} y {spanish(high, 3, sign=True)}"
    expected_04 = f"de {spanish(low, 3, sign=True)} a {spanish(high, 3, sign=True)}"
    answer = markdown(assignment)[cell]
    assert expected in answer or expected_04 in answer, (
        f"{assignment}/{cell}: the range of fine-tuned − frozen in {CURVES_CSV.name} is "
        f"{spanish(low, 3, sign=True)} to {spanish(high, 3, sign=True)}")


def test_no_claim_that_fine_tuning_adds_points_when_the_curves_show_none(fine_minus_frozen):
    shows_a_gain = max(fine_minus_frozen.values()) >= 0.02
    claims = ("suma algunos puntos", "suele sumar", "ganaba más", "aporta cuando")
    found = [(a, cell, c) for a in ("04_ajuste_fino", "06_proyecto")
             for cell, text in markdown(a).items() for c in claims if c in text]
    assert shows_a_gain or not found, (
        f"the learning curves show no fine-tuning gain (max {max(fine_minus_frozen.values()):+.3f}), "
        f"but the prose says it adds points: {found}")


def test_06_intro_gap_over_pixels(curves):
    text = markdown("06_proyecto")["celda 0"]
    match = re.search(r"Con (\d+) etiquetas por clase, el backbone congelado sacaba unos (\d+) puntos", text)
    assert match, "06's introduction should quote the frozen − pixels gap of notebooks 03-04"
    k, points = int(match.group(1)), int(match.group(2))
    gap = 100 * (curves.loc[k, "frozen"] - curves.loc[k, "pixels"])
    assert abs(points - gap) <= 5, f"06 says 'unos {points} puntos' at k = {k}; {CURVES_CSV.name}: {gap:.1f}"


# ---------------------------------------------------------------------------------------
# 01 and 02: the prose quotes the CNN evolution table
# ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def evolution() -> pd.DataFrame:
    return pd.read_csv(EVOLUTION_CSV).set_index("model")


def test_01_prose_quotes_every_error_of_the_table(evolution):
    text = "\n".join(markdown("01_evolucion_cnn").values())
    missing = []
    for model, error in evolution["top5_error_pct"].dropna().items():
        decimals = len(str(error).split(".")[1]) if "." in str(error) else 0
        if f"{spanish(error, decimals)} %" not in text:
            missing.append(f"{model}: {spanish(error, decimals)} %")
    assert not missing, f"notebook 01 does not quote these errors of {EVOLUTION_CSV.name}: {missing}"


def test_01_zfnet_contest_number_matches_the_table(evolution):
    place = evolution.loc["ZFNet", "ilsvrc_place_task"]
    match = re.search(r"about ([\d.]+) %", place)
    assert match and "team ZF" in place, place
    contest = spanish(float(match.group(1)), 1)
    text = "\n".join(markdown("01_evolucion_cnn").values())
    assert f"{contest} %" in text and "ZF" in text, f"01 must quote team ZF's contest result, {contest} %"
    assert "not an entry" not in place


@pytest.mark.parametrize("assignment", ["01_evolucion_cnn", "02_arquitecturas"])
def test_parameter_counts_and_ratio_quoted_from_the_table(evolution, assignment):
    text = "\n".join(markdown(assignment).values())
    resnet = spanish(evolution.loc["ResNet-152", "params"] / 1e6, 1)
    googlenet = spanish(evolution.loc["GoogLeNet", "params"] / 1e6, 1)
    ratio = round(evolution.loc["AlexNet", "params"] / evolution.loc["GoogLeNet", "params"])
    assert f"{resnet} M" in text or f"{resnet} millones" in text, f"{assignment}: ResNet-152 {resnet} M"
    assert f"{googlenet} millones" in text, f"{assignment}: GoogLeNet {googlenet} millones"
    assert f"unas {ratio} veces" in text, f"{assignment}: AlexNet / GoogLeNet parameters ≈ {ratio}×"
    # ResNet-152's count is computed from the paper's architecture, which reports FLOPs.
    assert re.search(r"contad[oa]s? a partir de la arquitectura|se cuentan? a partir de la arquitectura", text), (
        f"{assignment}: say that ResNet-152's {resnet} M is counted from the paper's Table 1")
