"""The stratification engine: :func:`stratify` deals units to splits so that every label (and, with
``order=2``, every label pair) keeps its share; :func:`pair_indicators` builds the pair columns.

Three stages: the batched deal (``_deal``, ``_sorted`` for small 0/1 inputs, ``_pairs``, ``_pair_build``, ``_pair_rows`` and
``_waves`` for order 2 at many labels), then the repair (``_repair``: polish the worst columns, and with order 2 the label
pairs; ``_cover``: cover rare labels), driven by ``_engine.stratify``. ``core.stratify`` is this
engine under the name DESIGN.md gives it.
"""

from ._deal import largest_remainder
from ._engine import pair_indicators, stratify
from ._offset import offset_polish

__all__ = ["stratify", "pair_indicators", "largest_remainder", "offset_polish"]
