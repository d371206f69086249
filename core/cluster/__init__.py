"""Beyond one machine: split, diagnose and report a table of any size on a Dask cluster.

Summarise in one distributed pass (rows per label set, labels per group, rows per time value), solve on
the client with the in-memory engine (:mod:`core.splits`), join the decision back in one more pass that
writes every row's split. The same :class:`core.splits.SplitConfig` runs in memory and here; every
score is computed from counts (:mod:`core.cluster._diagnose`). See :mod:`core.cluster._split` for where
the assignment equals the in-memory engine's and where it may differ.
"""

from ._client import local_cluster, open_client
from ._diagnose import ClusterDiagnosis
from ._read import fingerprint, lazy_table
from ._report import cluster_report, sample_table, split_command
from ._split import ClusterSplit, diagnose_split, read_summary, split_dataset
from ._summarise import CHECKS

__all__ = [
    "open_client",
    "local_cluster",
    "lazy_table",
    "fingerprint",
    "split_dataset",
    "CHECKS",
    "ClusterSplit",
    "diagnose_split",
    "ClusterDiagnosis",
    "read_summary",
    "sample_table",
    "cluster_report",
    "split_command",
]
