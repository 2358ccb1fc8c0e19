"""Churn prediction: a calibrated gradient-boosting model over a feature table
(:mod:`.model`), each customer's reasons (:mod:`.reasons`) and their wording
(:mod:`.phrases`). The CRM's features and the stored scores are in
``peyvand.intelligence.churn_risk``; the dashboard's at-risk list in :mod:`.dashboard`."""

from .model import ChurnModel, Evaluation, FeatureTable, evaluate, table_from_columns
from .reasons import Contributions, contributions, reference_values

__all__ = [
    "ChurnModel",
    "Contributions",
    "Evaluation",
    "FeatureTable",
    "contributions",
    "evaluate",
    "reference_values",
    "table_from_columns",
]
