"""The CNN evolution table of notebook 01 (``data/cnn_evolution.csv``): where it is, its columns.

Loading, typing and querying the table are the students' exercises, so this module only
says where the file is, what its columns are, and reads a numeric column as floats.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tlcourse.paths import data_dir

CSV_NAME = "cnn_evolution.csv"
#: Columns of ``data/cnn_evolution.csv`` in file order (see ``data/cnn_evolution.md``).
COLUMNS = (
    "year", "model", "authors_or_team", "ilsvrc_place_task", "top5_error_pct",
    "error_kind", "params", "weight_layers", "key_idea", "source",
)
#: ``model`` of the human reference row.
HUMAN = "human reference"
#: Every ILSVRC classification winner's ``ilsvrc_place_task`` starts with this.
WINNER_PREFIX = "1st, classification"


def csv_path() -> Path:
    """``data/cnn_evolution.csv``, wherever the notebook runs from."""
    return data_dir() / CSV_NAME



def as_float(values) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Any numeric column (float64, Float64, Int64, object with None) as floats with NaN."""
    import pandas as pd

    series = pd.to_numeric(pd.Series(list(values), dtype=object), errors="coerce")
    return series.to_numpy(dtype=float, na_value=np.nan)
