"""Helper package of the course "Transfer Learning con TensorFlow".

The first line of every notebook is ``import tlcourse``: it must run before TensorFlow
is imported, because it routes ``tf.keras`` to ``tf_keras`` (needed by
``hub.KerasLayer``) and silences TensorFlow's logging so that nothing reaches stderr.
"""

from __future__ import annotations

from tlcourse import _env
from tlcourse._env import ImportOrderError

_env.prepare_environment()

__version__ = "0.1.0"
DEFAULT_SEED = 42


def setup(seed: int = DEFAULT_SEED) -> None:
    """Prepare a notebook: TensorFlow environment, silence, offline data, reproducible seeds.

    Safe to call more than once. Puts the course's verified Fashion-MNIST files in Keras'
    cache, so the canonical ``tf.keras.datasets.fashion_mnist.load_data()`` works offline on
    a fresh machine (notebook 00 calls it). Raises :class:`ImportOrderError` (in Spanish)
    if TensorFlow was imported with Keras 3 before this package, and a Spanish
    ``DataError`` if a data file is missing or damaged.
    """
    import random

    import numpy as np

    from tlcourse.data import seed_keras_cache

    seed_keras_cache()
    tf = _env.import_tensorflow_quietly()
    random.seed(seed)
    np.random.seed(seed)
    tf.keras.utils.set_random_seed(seed)


def doctor(verbose: bool = True) -> dict:
    """Print a readable report of the set-up and raise if something is broken."""
    from tlcourse.doctor import run

    return run(verbose=verbose)


__all__ = ["DEFAULT_SEED", "ImportOrderError", "doctor", "setup", "__version__"]
