"""Split diagnostics: label distributions, co-occurrence, task association, quality scores, leakage.

Every public function returns a frozen dataclass with ``to_frame()``.
"""

from __future__ import annotations

from core.quality import SplitQuality, split_order, split_quality

__all__ = ["SplitQuality", "split_order", "split_quality"]
