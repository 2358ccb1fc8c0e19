"""Readers for the CDNOW files that ship inside ``lifetimes`` (a dev dependency used only as
data and as a reference implementation, in tests and benchmarks)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

CALIBRATION_END = "1997-09-30"  # 39 weeks from 1997-01-01, the papers' calibration period


class DatasetMissingError(LookupError):
    """lifetimes, and so the CDNOW files, are not installed."""


def lifetimes_datasets() -> Path:
    """The folder of CDNOW files inside the installed ``lifetimes``.

    Found without importing ``lifetimes.datasets``, which needs pkg_resources."""
    spec = importlib.util.find_spec("lifetimes")
    if spec is None or not spec.submodule_search_locations:
        raise DatasetMissingError("lifetimes (a dev dependency) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "datasets"


def _yyyymmdd_to_dates(column: np.ndarray) -> np.ndarray:
    """1997-01-01 from 19970101, vectorised."""
    value = column.astype(np.int64)
    months = (value // 10000 - 1970) * 12 + (value // 100) % 100 - 1
    return months.astype("datetime64[M]").astype("datetime64[D]") + (value % 100 - 1)


def read_cdnow_sample() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The 2,357-customer CDNOW sample: (customer ids, dates, dollar amounts)."""
    raw = np.loadtxt(lifetimes_datasets() / "CDNOW_sample.txt")
    return raw[:, 1].astype(np.int64), _yyyymmdd_to_dates(raw[:, 2]), raw[:, 4]


def read_cdnow_master() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The full CDNOW master file (23,570 customers, 69,659 transactions)."""
    raw = np.loadtxt(lifetimes_datasets() / "CDNOW_master.txt", skiprows=1)
    return raw[:, 0].astype(np.int64), _yyyymmdd_to_dates(raw[:, 1]), raw[:, 3]
