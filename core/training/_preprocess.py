"""Feature preprocessing: an sklearn pipeline fitted on the train rows only, and its config.

Numbers (inf read as missing) are clipped to the train rows' 0.5% and 99.5%
quantiles (:class:`QuantileClip`: one 999,999 "missing" code or a 1,000,000 outlier
outside train no longer becomes a feature value of 100,000 standard deviations that
blows up val and test predictions), then median-imputed and standardised,
text is imputed and one-hot encoded with at most ``max_categories`` columns per
feature. Date and time columns become numbers (days since 1970-01-01;
durations in days) and are then treated like any number. :func:`core.training.prepare_split`
(in ``_features.py``) fits it.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from ..errors import ConfigError

__all__ = ["FeatureConfig", "make_preprocessor", "QuantileClip"]

MISSING_CATEGORY = "(missing)"


@dataclass(frozen=True)
class FeatureConfig:
    """How features are preprocessed and how val rows are held out when the split has none.

    Parameters
    ----------
    max_categories : int
        At most this many one-hot columns per text feature; rarer values share
        one "infrequent" column (10,000 distinct ids do not make 10,000 columns).
    missing_indicators : bool
        Add a 0/1 column per numeric feature that had missing values in train.
    val_fraction : float
        Share of train rows (or groups) held out as val when the split has no val part.
    """

    max_categories: int = 50
    missing_indicators: bool = True
    val_fraction: float = 0.1

    def __post_init__(self) -> None:
        if self.max_categories < 2:
            raise ConfigError(f"max_categories={self.max_categories} must be at least 2; use 50.")
        if not 0.0 < self.val_fraction < 1.0:
            raise ConfigError(f"val_fraction={self.val_fraction} must lie strictly between 0 and 1; use 0.1.")

    def to_dict(self) -> dict:
        return asdict(self)


def _as_numbers(series: pd.Series) -> pd.Series:
    """Datetimes as days since 1970-01-01, durations as days, bools as 0/1; inf as missing."""
    if pd.api.types.is_datetime64_any_dtype(series):
        epoch = pd.Timestamp("1970-01-01", tz=series.dt.tz)
        series = (series - epoch) / pd.Timedelta(days=1)
    elif pd.api.types.is_timedelta64_dtype(series):
        series = series / pd.Timedelta(days=1)
    numbers = pd.to_numeric(series, errors="coerce").astype("float64")
    return numbers.where(np.isfinite(numbers))


def _is_number_like(series: pd.Series) -> bool:
    return (
        pd.api.types.is_numeric_dtype(series)
        or pd.api.types.is_bool_dtype(series)
        or pd.api.types.is_datetime64_any_dtype(series)
        or pd.api.types.is_timedelta64_dtype(series)
    )


def clean_features(frame: pd.DataFrame, numeric: Sequence[str], categorical: Sequence[str]) -> pd.DataFrame:
    """Numbers as float64 with NaN for missing or inf; categories as strings with NaN for missing."""
    out = {c: _as_numbers(frame[c]) for c in numeric}
    for c in categorical:
        text = frame[c].astype(object)
        out[c] = text.where(text.notna(), np.nan).map(str, na_action="ignore").astype(object)
    return pd.DataFrame(out, index=frame.index, columns=list(frame.columns))


class QuantileClip(TransformerMixin, BaseEstimator):
    """Clip each numeric column to its train ``[quantile, 1 - quantile]`` range; NaN stays NaN.

    When the two quantiles coincide (a rare 0/1 flag: 0.3% ones) the column is
    clipped to its train minimum and maximum instead, so the flag keeps its ones.
    A value outside the train range (a "999999" code, an extreme amount) then
    becomes the train's extreme, not a value far from anything the model saw.

    Examples
    --------
    >>> clip = QuantileClip(0.1).fit(np.array([[0.0], [1.0], [2.0], [3.0], [1000.0]]))
    >>> clip.transform(np.array([[1e6], [-5.0], [np.nan]])).ravel().tolist()
    [601.2, 0.4, nan]
    """

    def __init__(self, quantile: float = 0.005) -> None:
        self.quantile = quantile

    def fit(self, x, y=None):
        values = np.asarray(x, dtype="float64")
        self.n_features_in_ = values.shape[1]
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # an all-missing column has no quantile
            low, high = np.nanquantile(values, [self.quantile, 1.0 - self.quantile], axis=0)
            flat = ~(low < high)
            low = np.where(flat, np.nanmin(values, axis=0, initial=np.inf, where=~np.isnan(values)), low)
            high = np.where(flat, np.nanmax(values, axis=0, initial=-np.inf, where=~np.isnan(values)), high)
        self.low_ = np.where(np.isfinite(low), low, -np.inf)
        self.high_ = np.where(np.isfinite(high), high, np.inf)
        return self

    def transform(self, x):
        return np.clip(np.asarray(x, dtype="float64"), self.low_, self.high_)

    def get_feature_names_out(self, input_features=None):
        if input_features is None:
            return np.asarray([f"x{i}" for i in range(self.n_features_in_)], dtype=object)
        return np.asarray(input_features, dtype=object)


def make_preprocessor(frame: pd.DataFrame, config: FeatureConfig = FeatureConfig()) -> Pipeline:
    """An unfitted pipeline for the columns of ``frame``: numbers and dates scaled, text one-hot.

    Examples
    --------
    >>> frame = pd.DataFrame({"x": [1.0, np.inf, 3.0], "c": ["a", "b", None]})
    >>> make_preprocessor(frame).fit_transform(frame).shape
    (3, 5)
    """
    numeric = [str(c) for c in frame.columns if _is_number_like(frame[c])]
    categorical = [str(c) for c in frame.columns if str(c) not in numeric]
    numbers = make_pipeline(
        QuantileClip(),
        SimpleImputer(strategy="median", add_indicator=config.missing_indicators, keep_empty_features=True),
        StandardScaler(),
    )
    categories = make_pipeline(
        SimpleImputer(strategy="constant", fill_value=MISSING_CATEGORY, keep_empty_features=True),
        # An unseen value counts as infrequent when there is an infrequent column, else all zeros.
        OneHotEncoder(
            handle_unknown="infrequent_if_exist",
            max_categories=config.max_categories,
            sparse_output=False,
            dtype=np.float32,
        ),
    )
    columns = ColumnTransformer(
        [("numeric", numbers, numeric), ("categorical", categories, categorical)],
        sparse_threshold=0.0,
        verbose_feature_names_out=False,
    )
    clean = FunctionTransformer(
        clean_features,
        kw_args={"numeric": numeric, "categorical": categorical},
        feature_names_out="one-to-one",
    )
    return Pipeline([("clean", clean), ("columns", columns)])
