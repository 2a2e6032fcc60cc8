"""Grader validity for 03_extraccion_caracteristicas: full marks, zero, typical mistakes, correct variants, hostile submissions.

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

import hostile
from tlcourse.grader import grading
from grader_corpus import (  # noqa: F401  (shared fixture and tests, collected here)
    graded, results, test_blank_release_scores_zero, test_each_mistake_loses_only_its_exercise,
    test_each_hostile_submission_is_reported, test_honest_submissions_are_never_flagged,
    test_solution_has_no_incident,
    test_solution_gets_full_marks, test_solution_runs_silently_within_memory_budget)

A = "03_extraccion_caracteristicas"

# The corpus: tests/corpus/03_extraccion_caracteristicas/ (answer cells as files; expected scores in expected.toml).


@pytest.mark.slow
def test_replaced_helpers_earn_exactly_what_the_wrong_answers_earn(results):
    """The measured case of issue 19: lines replacing the checking helpers once lifted these
    wrong answers to full marks; now every cell scores what the wrong answers alone score
    (that the trick is reported: test_each_hostile_submission_is_reported)."""
    plain, tricked = results[hostile.MISTAKES_03], results[hostile.MISTAKES_WITH_TRICK_03]
    assert {g: s.score for g, s in tricked.items()} == {g: s.score for g, s in plain.items()}
    assert 0 < hostile.earned(plain) < sum(s.max_score for g, s in plain.items() if not g.startswith("manual_"))


# ------------------------------------------------------------------ shipped comparison
def test_shipped_comparison_is_complete_and_matches_the_backbone():
    from tlcourse import curves

    table = curves.condition_comparison()
    assert set(table["condition"]) == set(curves.CONDITIONS)
    assert set(table["k"]) == {curves.COMPARISON_K}
    assert set(table["method"]) == set(curves.METHODS)
    assert table["accuracy"].between(0, 1).all()
    provenance = json.loads(curves.comparison_provenance_path().read_text())
    assert provenance["command"] == "python -m tlcourse results --conditions"
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
