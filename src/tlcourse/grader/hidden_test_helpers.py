"""Helpers for notebooks' test cells that compute what an exercise asks (grading side).

Not shipped in the student kit (:mod:`tlcourse.build.kit`): a student could call them instead
of writing the exercise. Test cells may import them; course-side modules must not.
:func:`accuracy` is the package's one accuracy function: hidden tests, the judges and the
build's baselines and studies (``tlcourse.build``) all use it.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def accuracy(outputs: Any, labels: Any) -> float:
    """Fraction of rows whose largest output is the label (probabilities or logits)."""
    return float(np.mean(np.argmax(np.asarray(outputs), axis=1) == np.asarray(labels)))
