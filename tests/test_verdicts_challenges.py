"""Every challenge the judges draw tells each typical mistake of the corpora from the right answer.

A judge evaluates submission functions on inputs drawn per run (``challenge(seed)``). If a draw
happens to give a mistaken answer the same result as the right one, a wrong student gets the
points and the corpus tests (tests/corpus/<A>/, each mistake must lose its exercise) fail once
in a while. These fast tests apply each judge's own comparison, on many seeds, to the mistake
of a corpus entry (named in its ``#:`` note) and to the right answer.
"""

from __future__ import annotations

SEEDS = range(400)


# --------------------------------------------------------------------------- 00_entorno
def test_00_every_drawn_label_set_tells_labels_from_distinct_labels():
    """00 errores, ej1: ``clases = len(y)``. Every drawn label set repeats a label (before, all
    three sets had distinct labels in about one run in 400, and test_ej1_ejemplo passed)."""
    from tlcourse.grader.judges import entorno as judge

    for seed in SEEDS:
        reto = judge.challenge(seed)
        right = [judge._summary(reto[f"ej1_x{i}"], reto[f"ej1_y{i}"]) for i in range(3)]
        counted = [{**summary, "clases": len(reto[f"ej1_y{i}"])} for i, summary in enumerate(right)]
        assert judge._summaries_right(right, reto), f"seed {seed}"
        assert not judge._summaries_right(counted, reto), f"seed {seed}"
