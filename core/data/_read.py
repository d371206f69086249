"""Reading a user's file into a DataFrame: the format from the extension or the content, text
decoding and delimiter sniffing, decimal commas and text dates (:mod:`._dates`), and a size cap checked before reading.

Every problem is a :class:`~core.errors.DataError` whose one line names the problem and the fix.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import re
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd

from ..errors import DataError
from ._dates import parse_text_dates, text_columns_matching
from ._feature_columns import zero_padded_codes

__all__ = ["MAX_UPLOAD_MB", "SUPPORTED", "check_size", "read_table"]

MAX_UPLOAD_MB = 200  # the same as the dashboard's server.maxUploadSize
TEXT_EXTENSIONS = {".csv", ".tsv", ".txt", ".tab"}
PARQUET_EXTENSIONS = {".parquet", ".pq"}
EXCEL_EXTENSIONS = {".xlsx", ".xlsm", ".xls"}
JSON_EXTENSIONS = {".json", ".jsonl", ".ndjson"}
SUPPORTED = "CSV, TSV, Parquet, Excel or JSON"
GZIP_MAGIC = b"\x1f\x8b"


def _size_of(source: str | Path | bytes | BinaryIO) -> int:
    if isinstance(source, (bytes, bytearray)):
        return len(source)
    if isinstance(source, (str, Path)):
        return os.path.getsize(source)
    size = getattr(source, "size", None)
    if isinstance(size, int):
        return size
    position = source.tell()
    end = source.seek(0, io.SEEK_END)
    source.seek(position)
    return end


def _read_bytes(source: str | Path | bytes | BinaryIO) -> bytes:
    if isinstance(source, (bytes, bytearray)):
        return bytes(source)
    if isinstance(source, (str, Path)):
        return Path(source).read_bytes()
    source.seek(0)
    return source.read()


def read_table(
    source: str | Path | bytes | BinaryIO, filename: str, *, max_mb: float = MAX_UPLOAD_MB
) -> pd.DataFrame:
    """Read CSV/TSV (delimiter sniffed, UTF-8 then Latin-1), Parquet, Excel or JSON into a DataFrame.

    The size is checked before the file is read whole. Nothing is unpickled or evaluated. A gzip-compressed
    file (``data.csv.gz``) is unpacked first, its unpacked size held to the same limit.

    Examples
    --------
    >>> read_table(b"a;b\\n1;x\\n2;y\\n", "tiny.csv").columns.tolist()
    ['a', 'b']
    >>> read_table(gzip.compress(b"a,b\\n1,x\\n"), "tiny.csv.gz").shape
    (1, 2)
    """
    name = Path(filename).name or "the file"
    check_size(_size_of(source), name, max_mb=max_mb)
    raw = _read_bytes(source)
    if raw[:2] == GZIP_MAGIC:
        raw, name = _gunzip(raw, name, max_mb), name.removesuffix(".gz").removesuffix(".GZ").removesuffix(".gzip")
    kind = _content_kind(raw)
    extension = Path(name).suffix.lower()
    if kind == "binary":
        raise DataError(f"{name} is not a table (it holds binary data); upload a {SUPPORTED} file.")
    expected = _extension_kind(extension)
    if expected and kind != expected and not (expected == "text" and kind == "json"):
        raise DataError(
            f"{name} is named {extension} but holds {_KIND_WORDS[kind]}; "
            f"rename it to {_KIND_EXTENSION[kind]} or upload a real {_KIND_WORDS[expected]} file."
        )
    readers = {"text": _read_text, "parquet": _read_parquet, "excel": _read_excel, "json": _read_json}
    frame = readers[kind](raw, name, extension)
    return _check_frame(frame, name)


def check_size(size: int, filename: str, *, max_mb: float = MAX_UPLOAD_MB) -> None:
    """Refuse an empty file or one over ``max_mb`` megabytes, from its size alone (nothing is read).

    Examples
    --------
    >>> check_size(201 * 2**20, "big.csv")
    Traceback (most recent call last):
    core.errors.DataError: big.csv is 201 MB, over the 200 MB limit; upload a smaller file or a sample of it.
    """
    name = Path(filename).name or "the file"
    if size > max_mb * 2**20:
        raise DataError(
            f"{name} is {size / 2**20:,.0f} MB, over the {max_mb:,.0f} MB limit; "
            "upload a smaller file or a sample of it."
        )
    if size == 0:
        raise DataError(f"{name} is empty; upload a file with a header row and data rows.")


def _gunzip(raw: bytes, name: str, max_mb: float) -> bytes:
    """The unpacked bytes of a gzip file, read in blocks so a file that unpacks past ``max_mb`` stops early."""
    limit = int(max_mb * 2**20)
    out = io.BytesIO()
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(raw)) as packed:
            while block := packed.read(2**20):
                if out.tell() + len(block) > limit:
                    raise DataError(f"{name} unpacks to over the {max_mb:,.0f} MB limit; upload a smaller file "
                                    "or a sample of it.")
                out.write(block)
    except (OSError, EOFError) as error:
        raise DataError(f"{name} is a damaged gzip file ({error}); compress the table again or upload it "
                        "uncompressed.") from None
    check_size(out.tell(), name.removesuffix(".gz"), max_mb=max_mb)
    return out.getvalue()


_KIND_WORDS = {"text": "CSV text", "parquet": "Parquet", "excel": "Excel", "json": "JSON"}
_KIND_EXTENSION = {"text": ".csv", "parquet": ".parquet", "excel": ".xlsx", "json": ".json"}


def _extension_kind(extension: str) -> str | None:
    for kind, extensions in (
        ("text", TEXT_EXTENSIONS), ("parquet", PARQUET_EXTENSIONS),
        ("excel", EXCEL_EXTENSIONS), ("json", JSON_EXTENSIONS),
    ):
        if extension in extensions:
            return kind
    return None


def _content_kind(raw: bytes) -> str:
    """What the bytes hold, from magic numbers and a look at the first few kilobytes."""
    if raw[:4] == b"PAR1":
        return "parquet"
    if raw[:2] == b"PK" or raw[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return "excel"
    head = raw[:65536]
    if b"\x00" in head:
        return "binary"
    text = _decode(head).lstrip("\ufeff \t\r\n")
    if text[:1] in ("{", "["):
        return "json"
    controls = sum(ch < " " and ch not in "\t\r\n" for ch in text[:8192])
    return "binary" if controls > 0.01 * max(1, len(text[:8192])) else "text"


def _decoded(raw: bytes) -> tuple[str, str]:
    """``(text, encoding)``: UTF-8 (with or without a byte-order mark), else Windows-1252, else Latin-1 (which
    decodes every byte).

    Windows-1252 is what Excel writes on a Western-European Windows: Latin-1 with printable characters in
    0x80-0x9F (``’`` 0x92, ``€`` 0x80, ``œ`` 0x9C), which Latin-1 reads as invisible control characters.

    Examples
    --------
    >>> _decoded("Prix €, l’été".encode("cp1252"))
    ('Prix €, l’été', 'cp1252')
    """
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1"), "latin-1"


def _decode(raw: bytes) -> str:
    return _decoded(raw)[0]


def _read_text(raw: bytes, name: str, extension: str) -> pd.DataFrame:
    text, encoding = _decoded(raw)
    if encoding != "utf-8-sig":
        shown = "Latin-1 (Windows-1252, as Excel saves text on Western-European Windows)" if encoding == "cp1252" \
            else "Latin-1"
        warnings.warn(
            f"{name} is not UTF-8, so it was read as {shown}; if accented letters look wrong, save it as UTF-8.",
            UserWarning, stacklevel=3,
        )
    if not text.strip():
        raise DataError(f"{name} is empty; upload a file with a header row and data rows.")
    delimiter = "\t" if extension in (".tsv", ".tab") else _sniff_delimiter(text)
    _check_header(_header_fields(text, delimiter, name), name)
    del text  # pandas reads the bytes: a StringIO of the text would hold four bytes per character
    try:
        frame = pd.read_csv(io.BytesIO(raw), sep=delimiter, encoding=encoding, engine="c", low_memory=False)
    except pd.errors.ParserError as error:
        raise DataError(f"{name} could not be parsed: {_parser_detail(error)}; fix that row or re-export the file.") from None
    except (UnicodeDecodeError, ValueError) as error:
        raise DataError(f"{name} could not be read as a table ({error}); re-export it as CSV.") from None
    if delimiter != ",":  # in a comma-separated file "1,5" is two fields or a quoted list, never a number
        frame = _parse_decimal_commas(frame, raw, delimiter, encoding)
    frame = _keep_zero_padded_text(frame, lambda columns, rows: pd.read_csv(
        io.BytesIO(raw), sep=delimiter, encoding=encoding, engine="c", dtype=str, usecols=columns, nrows=rows,
        low_memory=False))
    return parse_text_dates(frame, name)


_SAMPLE_ROWS = 5_000  # the rows looked at for zero-padded numbers before a column is read again as text


def _keep_zero_padded_text(frame: pd.DataFrame, as_text: Callable[[list[str], int | None], pd.DataFrame]
                           ) -> pd.DataFrame:
    """Number columns the file writes with leading zeros, as the text they are: a questionnaire number ``00042`` or
    an area code ``0264`` read as 42 and 264 no longer joins back onto the user's ids, and reads as a quantity.

    ``as_text(columns, rows)`` reads those columns (the first ``rows`` rows, or every row) as text; the first rows
    decide, so a file without such columns costs one read of a few thousand rows.
    """
    numbers = [c for c in frame.columns if pd.api.types.is_integer_dtype(frame[c]) or (
        pd.api.types.is_float_dtype(frame[c]) and frame[c].isna().any())]
    if not numbers:
        return frame
    sample = as_text(numbers, _SAMPLE_ROWS)
    padded = [c for c in numbers if zero_padded_codes(sample[c], _SAMPLE_ROWS)]
    if padded:
        text = as_text(padded, None)
        for column in padded:
            frame[column] = text[column].str.strip()
    return frame


# Whole columns only: every value must fit, or the column stays text.
_DECIMAL_COMMA = r"[+-]?\d+(?:,\d+)?(?:[eE][+-]?\d+)?"


def _parse_decimal_commas(frame: pd.DataFrame, raw: bytes, delimiter: str, encoding: str) -> pd.DataFrame:
    """Columns written with decimal commas (``1,5``, as a comma-decimal locale exports them) as numbers.

    Those columns are read again by pandas' C parser with ``decimal=","``: four times faster than
    replacing commas in a million strings.
    """
    columns = text_columns_matching(frame, _DECIMAL_COMMA)
    if columns:
        numbers = pd.read_csv(io.BytesIO(raw), sep=delimiter, encoding=encoding, engine="c", decimal=",",
                              usecols=columns, low_memory=False)
        for column in columns:
            if pd.api.types.is_numeric_dtype(numbers[column]):
                frame[column] = numbers[column].to_numpy()
    return frame


def _header_fields(text: str, delimiter: str, name: str) -> list[str]:
    """The fields of the first line (a lone carriage return ends a line too)."""
    end = min((i for i in (text.find("\n"), text.find("\r")) if i >= 0), default=len(text))
    try:
        return next(csv.reader([text[:end]], delimiter=delimiter), [])
    except csv.Error as error:
        raise DataError(f"{name}'s header row could not be parsed ({error}); re-export the file as CSV.") from None


def _sniff_delimiter(text: str) -> str:
    sample = text[:65536]
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _parser_detail(error: Exception) -> str:
    match = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(error))
    if match:
        return f"line {match[2]} has {match[3]} fields where the header has {match[1]}"
    return str(error).strip().splitlines()[-1]


def _check_header(header: list[str], name: str) -> None:
    seen: set[str] = set()
    for column in (h.strip() for h in header):
        if column and column in seen:
            raise DataError(f"{name} has the column name '{column}' twice; rename one of them.")
        seen.add(column)


def _read_parquet(raw: bytes, name: str, extension: str) -> pd.DataFrame:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(io.BytesIO(raw))
    except Exception as error:  # pyarrow raises several unrelated types for corrupt files
        raise DataError(f"{name} is not a readable Parquet file ({type(error).__name__}); re-export it.") from None
    _check_header(table.column_names, name)
    return table.to_pandas()


def _read_excel(raw: bytes, name: str, extension: str) -> pd.DataFrame:
    try:
        workbook = pd.ExcelFile(io.BytesIO(raw))
        sheet = _data_sheet(workbook, name)
        header = pd.read_excel(workbook, sheet_name=sheet, header=None, nrows=1)
        _check_header([str(v) for v in header.iloc[0].dropna()] if len(header) else [], name)
        frame = pd.read_excel(workbook, sheet_name=sheet)
    except DataError:
        raise
    except Exception as error:  # openpyxl/xlrd raise many types for corrupt workbooks
        raise DataError(f"{name} is not a readable Excel workbook ({type(error).__name__}); re-save it as .xlsx.") from None
    return parse_text_dates(frame, name)


def _data_sheet(workbook: pd.ExcelFile, name: str) -> str | int:
    """The sheet holding the most cells: a workbook often opens on a README or notes sheet. Warned when there is
    more than one sheet with cells, naming the one read and the ones left."""
    if len(workbook.sheet_names) < 2:
        return 0
    cells = {sheet: int(pd.read_excel(workbook, sheet_name=sheet, header=None).notna().to_numpy().sum()) for sheet in workbook.sheet_names}
    chosen = max(workbook.sheet_names, key=lambda sheet: cells[sheet])  # the first of equals
    others = [f"'{sheet}' ({cells[sheet]:,} cells)" for sheet in workbook.sheet_names if sheet != chosen and cells[sheet]]
    if others:
        warnings.warn(
            f"{name} has {len(others) + 1} sheets: read '{chosen}' ({cells[chosen]:,} cells), the largest, and left "
            f"{', '.join(others)}; to read another, save that sheet alone as its own file.",
            UserWarning, stacklevel=4,
        )
    return chosen


def _read_json(raw: bytes, name: str, extension: str) -> pd.DataFrame:
    text = _decode(raw)
    attempts = (True, False) if extension in (".jsonl", ".ndjson") else (False, True)
    for lines in attempts:
        try:
            frame = pd.read_json(io.StringIO(text), lines=lines, orient=None if lines else "records")
        except ValueError:
            continue
        if isinstance(frame, pd.DataFrame):
            if re.search(r'"0\d+"', text):  # "00042" is a JSON string: pandas made it 42
                as_text = pd.read_json(io.StringIO(text), lines=lines, orient=None if lines else "records",
                                       dtype=False)  # parsed once, its strings kept, for the sample and the columns
                frame = _keep_zero_padded_text(frame, lambda columns, rows, as_text=as_text: as_text[columns].head(
                    rows) if rows else as_text[columns])
            return parse_text_dates(frame, name)
    raise DataError(f"{name} is not JSON records or JSON lines; export it as a list of objects, one per row.")


def _check_frame(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    if frame.shape[1] == 0:
        raise DataError(f"{name} has no columns; upload a file with a header row and data rows.")
    if len(frame) == 0:
        raise DataError(f"{name} has a header but no data rows; upload a file with data.")
    columns = [str(c) for c in frame.columns]
    duplicated = pd.Index(columns).duplicated()
    if duplicated.any():
        raise DataError(f"{name} has the column name '{columns[int(np.argmax(duplicated))]}' twice; rename one of them.")
    frame.columns = columns
    return _flatten_nested(frame)


def _flatten_nested(frame: pd.DataFrame) -> pd.DataFrame:
    """Lists and objects inside cells (nested JSON) as their JSON text, so every cell can be counted."""
    for column in frame.columns:
        values = frame[column]
        if not pd.api.types.is_object_dtype(values):
            continue
        nested = values.map(lambda value: isinstance(value, (list, dict))).to_numpy(dtype=bool)
        if nested.any():
            frame[column] = values.where(~nested, values[nested].map(lambda v: json.dumps(v, default=str)))
    return frame
