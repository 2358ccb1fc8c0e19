"""Churn prediction: boosted trees and a logistic regression, stacked into one calibrated
probability over a feature table (:mod:`.model`), each customer's reasons (:mod:`.reasons`)
and their wording (:mod:`.phrases`). The CRM's features and the stored scores are in
``peyvand.intelligence.churn_risk``; the dashboard's at-risk list in :mod:`.dashboard`."""

from .model import (
    ChurnModel,
    Evaluation,
    FeatureTable,
    LinearPart,
    evaluate,
    table_from_columns,
)
from .reasons import Contributions, contributions, reference_values

__all__ = [
    "ChurnModel",
    "Contributions",
    "Evaluation",
    "FeatureTable",
    "LinearPart",
    "contributions",
    "evaluate",
    "reference_values",
    "table_from_columns",
]
