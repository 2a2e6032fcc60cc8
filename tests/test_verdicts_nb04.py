"""Trusted verdicts on 04_ajuste_fino: fast unit tests of its judge.

The hostile submissions of 04 (a kernel trick, a layer that lies about being frozen, rebound
Keras functions, a rebound course helper, forged evidence) are entries of its grader corpus
(tests/hostile.py, tests/corpus/04_ajuste_fino/expected.toml), graded with it in
tests/test_nb04_ajuste_fino.py.
"""

from __future__ import annotations

A = "04_ajuste_fino"


def test_every_graded_cell_of_04_has_a_probe_and_a_verdict():
    """The judge covers exactly the notebook's autograded cells (a new test cell needs a probe)."""
    from tlcourse.grader import grading
    from tlcourse.grader.judges import ajuste, ajuste_regularizacion, judge_for

    notebook = grading.read_notebook(grading.release_path(A))
    graded = {c.metadata["nbgrader"]["grade_id"] for c in notebook.cells
              if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"}
    judge = judge_for(A)
    assert judge.modules == [ajuste, ajuste_regularizacion]
    for module in judge.modules:
        assert set(module.PROBES) == set(module.JUDGES), module.__name__
    assert set(ajuste.PROBES).isdisjoint(ajuste_regularizacion.PROBES) and set(judge.PROBES) == graded
    challenge = judge.challenge(7)
    assert set(challenge) == set(ajuste.challenge(7)) | set(ajuste_regularizacion.challenge(7))


def test_the_judge_reads_a_fresh_adams_first_step_and_its_learning_rate():
    """The recomputation behind ej3: a fresh Adam's first step is lr·(-g/(|g|+ε')); SGD's is not."""
    import numpy as np

    from tlcourse._env import import_tensorflow_quietly
    from tlcourse.grader.judges import ajuste

    tf = import_tensorflow_quietly()
    g = np.random.default_rng(0).normal(0, 1e-3, (50, 20)).astype(np.float32)
    for optimizer, fresh_adam in ((tf.keras.optimizers.Adam(3e-4), True), (tf.keras.optimizers.SGD(3e-4), False)):
        variable = tf.Variable(np.zeros_like(g))
        optimizer.apply_gradients([(tf.constant(g), variable)])
        lr, residual = ajuste.adam_first_step(variable.numpy(), g)
        assert (residual < 0.02 and abs(lr - 3e-4) < 3e-6) == fresh_adam, (optimizer, lr, residual)
