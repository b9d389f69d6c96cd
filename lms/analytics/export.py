"""`?format=csv`: the same figures as the JSON answer, one figure per row.

The rendered JSON answer is flattened, so the CSV cannot say anything the JSON does not:
columns `figure, period, series, value` where

- a number or text is one row: `total_courses,,,3`;
- a series gives one row per dataset and label: `enrollments,2026-11,enrollments,4`
  (a money dataset's series names its currency: `revenue_series,2026-11,gross USD,49.90`);
- a distribution gives one row per key: `rating_distribution,5,count,2`;
- a list of objects gives one row per field, the figure named by its position and, where
  there is one, its title or currency: `courses[0] Compilers.completion_rate,,,50.0`.

Every text cell is neutralised against formula injection (`safe_cell`): a cell a
spreadsheet would read as a formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage
return) gets a leading `'`, so a course titled `=HYPERLINK(...)` stays text. Numbers, and
texts that are plain numbers (`-5.00`, an amount), are written as they are.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Mapping
from typing import Any

HEADER = ("figure", "period", "series", "value")

# What a spreadsheet reads as the start of a formula (OWASP's CSV injection list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# ASCII digits: `\d` would also read a sign and full-width digits as a number, left bare
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")


def safe_cell(value: Any) -> Any:
    """`value` for a CSV cell: a text a spreadsheet would run as a formula gets a leading
    `'`; numbers and plain numeric texts (`-5.00`) are kept. Any CSV the product writes
    with user-controlled text should pass its cells through this."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        if _PLAIN_NUMBER.fullmatch(value):
            return value
        return "'" + value
    return value


def _is_series(value: Mapping[str, Any]) -> bool:
    return set(value) == {"labels", "datasets"}


def _is_distribution(value: Mapping[str, Any]) -> bool:
    return set(value) == {"labels", "counts"}


def _name_of(prefix: str, index: int, item: Mapping[str, Any]) -> str:
    tag = item.get("title") or item.get("lesson_title") or item.get("currency") or ""
    return f"{prefix}[{index}] {tag}".rstrip()


def rows(data: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[Any, ...]]:
    for key, value in data.items():
        name = f"{prefix}.{key}" if prefix else key
        if isinstance(value, Mapping):
            if _is_series(value):
                for dataset in value["datasets"]:
                    series = dataset["label"]
                    if "currency" in dataset:
                        series = f"{series} {dataset['currency']}"
                    for label, point in zip(value["labels"], dataset["data"], strict=True):
                        yield (name, label, series, point)
            elif _is_distribution(value):
                for label, count in zip(value["labels"], value["counts"], strict=True):
                    yield (name, label, "count", count)
            else:
                yield from rows(value, name)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, Mapping):
                    yield from rows(item, _name_of(name, index, item))
                else:
                    yield (f"{name}[{index}]", "", "", item)
        else:
            yield (name, "", "", "" if value is None else value)


def to_csv(data: Mapping[str, Any]) -> str:
    out = io.StringIO()
    # CRLF (RFC 4180): a field holding a CR or LF is then quoted, never split into two rows.
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(tuple(safe_cell(cell) for cell in row) for row in rows(data))
    return out.getvalue()
