"""Data: a :class:`Dataset` (a table and the roles of its columns), from a built-in set or the user's file.

Reading and sniffing files, the built-in datasets, suggested column roles, and which columns are
features for the current tasks.
"""

from ._builtins import (
    BUILTIN_NAMES,
    BUILTINS,
    DEFAULT_DATASET,
    BuiltinDataset,
    builtin,
    parse_synthetic,
    synthetic_frame,
)
from ._dataset import Dataset, dataset_from_frame, load_builtin, load_data, load_file, with_roles
from ._feature_columns import (
    DATE_REASON,
    FEW_ROWS,
    ID_LIKE_SHARE,
    date_columns,
    feature_columns,
    id_like_columns,
)
from ._read import MAX_UPLOAD_MB, check_size, read_table
from ._roles import (
    NO_TARGET,
    RepeatedId,
    RoleSuggestion,
    column_summary,
    group_reason,
    id_like_names,
    is_panel_unit,
    panel_units,
    repeated_id_candidates,
    suggest_roles,
)

__all__ = [
    "BUILTIN_NAMES",
    "with_roles",
    "DATE_REASON",
    "date_columns",
    "NO_TARGET",
    "Dataset",
    "MAX_UPLOAD_MB",
    "check_size",
    "load_builtin",
    "load_data",
    "load_file",
    "read_table",
    "dataset_from_frame",
    "BuiltinDataset",
    "BUILTINS",
    "DEFAULT_DATASET",
    "builtin",
    "synthetic_frame",
    "parse_synthetic",
    "column_summary",
    "RoleSuggestion",
    "suggest_roles",
    "RepeatedId",
    "id_like_columns",
    "id_like_names",
    "repeated_id_candidates",
    "panel_units",
    "is_panel_unit",
    "group_reason",
    "feature_columns",
    "ID_LIKE_SHARE",
    "FEW_ROWS",
]
