"""Print which rule wins each row of the official error-code table, counted per rule and file.

Run ``python -m tests.table_coverage``; the numbers in reports about the table come from here.
"""

from __future__ import annotations

import collections
import csv
from pathlib import Path

from cos_doctor._pipeline.context import RequestContext
from cos_doctor._pipeline.match import match_rule

TABLE = Path(__file__).parent / "data" / "cos_error_codes.tsv"


def table_rows() -> list[tuple[int, str, str | None]]:
    """The (status, code, message) rows of the data file, comments skipped."""
    with TABLE.open(encoding="utf-8", newline="") as handle:
        lines = [line for line in handle if not line.startswith("#")]
    reader = csv.DictReader(lines, delimiter="\t")
    return [(int(row["status"]), row["code"], row["message"] or None) for row in reader]


def main() -> None:
    """Print rows per knowledge file and rule, then the totals."""
    per_rule: collections.Counter[tuple[str, str]] = collections.Counter()
    generic = []
    rows = table_rows()
    for status, code, message in rows:
        found = match_rule(
            RequestContext(http_status=status, error_code=code, error_message=message)
        )
        per_rule[(found.rule.file, found.rule.id)] += 1
        if found.rule.generic:
            generic.append(f"{status} {code}")
    for (file, rule_id), count in sorted(per_rule.items()):
        print(f"{file:<22} {rule_id:<30} {count}")
    files = collections.Counter()
    for (file, _), count in per_rule.items():
        files[file] += count
    print()
    for file, count in sorted(files.items()):
        print(f"{file:<22} {count}")
    print(f"\nrows: {len(rows)}, rules: {len(per_rule)}, generic: {len(generic)} {generic}")


if __name__ == "__main__":
    main()
