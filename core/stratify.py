"""The stratification engine under the name DESIGN.md gives it: the same objects as :mod:`core.splits.stratify`.

Examples
--------
>>> import core.splits.stratify
>>> from core.stratify import stratify
>>> stratify is core.splits.stratify.stratify
True
"""

from .splits.stratify import largest_remainder, offset_polish, pair_indicators, stratify

__all__ = ["stratify", "pair_indicators", "largest_remainder", "offset_polish"]
