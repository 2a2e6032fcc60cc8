"""The model contract: what the course side and the build side agree on, and nothing else.

The course side (notebooks, :mod:`tlcourse.hub`, :mod:`tlcourse.data`) reads the course
backbone; the build side (:mod:`tlcourse.build.backbone`) writes it. Both take from here the
names and file layout of the published model, its input and feature sizes, the block
notebook 04 unfreezes, and the one reader of ``sha256sum``-format checksum files
(``data/fashion-mnist/SHA256SUMS``, ``data/hub/MANIFEST.sha256``). This module imports
only the standard library, so either side can ship without the other.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

# --------------------------------------------------------------------------------------
# The published backbone
# --------------------------------------------------------------------------------------
MODEL_NAME = "tlcourse_backbone"  #: name in the classroom hub: /models/<name>/<version>
MODEL_VERSION = "1"
IMAGE_SIZE = 32  #: input side; images are float32 [batch, 32, 32, 3] in [0, 1]
#: Length of the feature vector: the global average pooling of the last two blocks
#: (128 + 128 channels; ``tlcourse.build.backbone.BLOCKS`` builds exactly this, a test checks it).
FEATURE_DIM = 256
TOP_BLOCK = "block4"  #: prefix of the layers of the top block (notebook 04 unfreezes it)

# File layout, relative to the hub folder (``data/hub``).
HUB_FOLDER = "hub"  #: the hub folder's name inside ``data/``
SAVEDMODEL_DIR = f"{MODEL_NAME}/{MODEL_VERSION}"  #: TF2 SavedModel (a hub.KerasLayer handle)
KERAS_FILE = f"{MODEL_NAME}.h5"  #: the same weights as a Keras HDF5 file (named layers)
HEAD_FILE = "source_head.h5"  #: the pretraining head (features -> 5 source classes)
METRICS_FILE = "metrics.json"
CARD_FILE = "MODEL_CARD.md"
MANIFEST_FILE = "MANIFEST.sha256"


# --------------------------------------------------------------------------------------
# Checksums
# --------------------------------------------------------------------------------------
def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_checksums(path: Path) -> dict[str, str]:
    """A ``sha256sum``-format file (``<hex>  <name>`` or ``<hex> *<name>``) as name -> sha256.

    Blank lines are skipped; raises ``FileNotFoundError`` if ``path`` does not exist.
    """
    entries = {}
    for line in Path(path).read_text().splitlines():
        if line.strip():
            digest, name = line.split(maxsplit=1)
            entries[name.strip().lstrip("*")] = digest
    return entries


def read_manifest(root: Path) -> dict[str, str]:
    """``<root>/MANIFEST.sha256`` as relative path -> sha256 (raises ``FileNotFoundError``)."""
    return read_checksums(Path(root) / MANIFEST_FILE)


# --------------------------------------------------------------------------------------
# The course side of the package
# --------------------------------------------------------------------------------------
#: The student side of the package (the top-level modules but the command line):
#: everything notebooks 00-06 import, and the student's own check. Nothing about grading,
#: benchmarks or building the model, and no function that answers an exercise. Defined
#: here only: the kit ships exactly these, a grading kernel sees these (plus two grader
#: modules), and ``tests/test_import_graph.py`` keeps them free of ``build/`` and ``grader/``.
STUDENT_MODULES: tuple[str, ...] = (
    "__init__",       # import tlcourse: environment, seeds, doctor()
    "_env",           # tf.keras -> tf_keras, quiet TensorFlow
    "paths",          # where data/ is
    "contract",       # names, sizes and checksums of the course backbone
    "data",           # Fashion-MNIST, catálogo/campo, few-label subsets
    "plots",          # image grids, histories, confusion matrices
    "hub",            # backbone_spec, hub loader with clear errors, classroom server
    "doctor",         # python -m tlcourse.doctor
    "student_check",  # python -m tlcourse.student_check NB: doctor + visible tests
    "cnn_table",      # notebook 01: where the CNN evolution table is, its columns
    "plot_reading",   # notebook 01's tests: what a plot draws, read through its Axes
    "architectures",  # notebook 02: stored counts and layer helpers
    "model_checks",   # notebook 03: time per epoch, weight snapshots, output kinds
    "baselines",      # notebook 03: the pixel baseline and the baselines' recipe
    "curves",         # notebooks 03-04: shipped learning curves, read and plotted
    "digits",         # notebook 06: the fixed split of load_digits
)
