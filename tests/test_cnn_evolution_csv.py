"""data/cnn_evolution.csv against the checked facts (fast: no notebook is executed)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from tlcourse import cnn_table, plot_reading

# Golden values, checked against the primary sources each row cites (see data/cnn_evolution.md):
# year, top-5 error in %, parameters as the source states them, weight layers.
# None = not published / not applicable.
#   * LeNet-5: "≈60 thousand" (LeCun et al. 1998); AlexNet: "60 million" (Krizhevsky et al. 2012);
#     ZFNet: "≈62 million" (counted from arXiv:1311.2901, Fig. 3); GoogLeNet: "≈6.8 million"
#     (arXiv:1409.4842); VGG-16: "138 million" (arXiv:1409.1556, Table 2); ResNet-152: "≈60.2
#     million", counted from arXiv:1512.03385, Table 1 (the paper itself reports FLOPs, not
#     parameters).
#   * ZFNet: 14.8 % is the paper's after-contest ensemble (arXiv:1311.2901, Table 2); the team
#     "ZF" entry of ILSVRC 2013 scored about 13.5 % (ILSVRC 2013 results page).
#   * SENet: the facts give "SENet-154" as a name, not a comparable layer count (see
#     data/cnn_evolution.md), so weight_layers is empty.
#   * The human reference has no year ("–" in the facts).
FACTS = {
    # model:           (year, top5_error_pct, params,     weight_layers)
    "LeNet-5":         (1998, None,  60_000,      7),
    "AlexNet":         (2012, 15.3,  60_000_000,  8),
    "Clarifai":        (2013, 11.7,  None,        None),
    "ZFNet":           (2013, 14.8,  62_000_000,  8),
    "GoogLeNet":       (2014, 6.67,  6_800_000,   22),
    "VGG-16":          (2014, 7.3,   138_000_000, 16),
    "ResNet-152":      (2015, 3.57,  60_200_000,  152),
    "Trimps-Soushen":  (2016, 2.99,  None,        None),
    "SENet":           (2017, 2.25,  None,        None),
    cnn_table.HUMAN:   (None, 5.1,   None,        None),
}
# Who won the ILSVRC classification task each year (official results pages).
WINNERS = ["AlexNet", "Clarifai", "GoogLeNet", "ResNet-152", "Trimps-Soushen", "SENet"]


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return pd.read_csv(cnn_table.csv_path(), dtype={"year": "Int64", "weight_layers": "Int64"})


def _value(x):  # type: ignore[no-untyped-def]
    return None if pd.isna(x) else x


def test_columns_and_rows(table):
    assert tuple(table.columns) == cnn_table.COLUMNS
    assert table["model"].tolist() == list(FACTS), "one row per milestone, chronological, human last"


def test_every_column_is_documented(table):
    dictionary = (cnn_table.csv_path().parent / "cnn_evolution.md").read_text(encoding="utf-8")
    for column in table.columns:
        assert f"`{column}`" in dictionary, column


@pytest.mark.parametrize("model", sorted(FACTS))
def test_row_matches_the_facts(table, model):
    row = table.set_index("model").loc[model]
    year, error, params, layers = FACTS[model]
    assert _value(row["year"]) == year
    if error is None:
        assert pd.isna(row["top5_error_pct"])
    else:
        assert math.isclose(row["top5_error_pct"], error)
    assert _value(row["params"]) == params
    assert _value(row["weight_layers"]) == layers


def test_every_number_has_its_kind_and_source(table):
    with_error = table["top5_error_pct"].notna()
    assert table.loc[with_error, "error_kind"].notna().all()
    kinds = table.loc[with_error, "error_kind"].str.split(", ")
    assert kinds.map(lambda k: k[0] in {"test", "val", "test sample"}).all()
    assert kinds.map(lambda k: k[1] in {"ensemble", "single", "human"}).all()
    assert kinds.map(lambda k: set(k[2:]) <= {"extra data", "after contest"}).all(), (
        "the only documented qualifiers are 'extra data' and 'after contest'")
    assert table.loc[with_error & (table["model"] != cnn_table.HUMAN), "error_kind"].str.contains("ensemble").all(), (
        "every competition number in the facts is an ensemble")
    assert table["source"].notna().all() and table["key_idea"].notna().all()
    assert table["ilsvrc_place_task"].notna().all() and table["authors_or_team"].notna().all()


def test_winners_are_marked_by_the_documented_prefix(table):
    winners = table["ilsvrc_place_task"].str.startswith(cnn_table.WINNER_PREFIX)
    assert table.loc[winners, "model"].tolist() == WINNERS


def test_deck_errors_are_not_in_the_data(table):
    """The seed deck's errors (corrected in notebook 01): the corrected values are the ones stored."""
    rows = table.set_index("model")
    assert rows.loc["AlexNet", "authors_or_team"].startswith("Krizhevsky, Sutskever, Hinton")
    assert rows.loc["ResNet-152", "authors_or_team"].startswith("He, Zhang, Ren, Sun")
    assert "extra data" in rows.loc["AlexNet", "error_kind"]
    # ZFNet did enter ILSVRC 2013 (team "ZF"); its 14.8 % is the paper's after-contest number.
    zfnet = rows.loc["ZFNet"]
    assert "not an entry" not in zfnet["ilsvrc_place_task"]
    assert "team ZF" in zfnet["ilsvrc_place_task"] and "13.5" in zfnet["ilsvrc_place_task"]
    assert zfnet["error_kind"].endswith("after contest")
    assert "LSVRC/2013/results" in zfnet["source"]
    # ResNet-152's parameters are counted from Table 1: the paper reports FLOPs, not parameters.
    assert "counted from the architecture of Table 1" in rows.loc["ResNet-152", "source"]
    assert not table["model"].str.contains(r"AlexNet-5|ZFNet-5").any()
