#!/usr/bin/env python3
"""Fails when a Swift line in Sources/ or Tests/ is wider than 140 columns, counted as UTF-8 bytes
(as `awk`, `wc -L` in the C locale and most review tools count them: a Vietnamese letter takes two or
three), or a Swift file is longer than 400 lines. Generated code is held to the same limits: its
generators cut and wrap what they write (scripts/swiftsplit.py). Run by scripts/test.sh before building."""
import pathlib
import sys

LIMIT = 140
MAX_LINES = 400
root = pathlib.Path(__file__).resolve().parent.parent
long_lines, long_files = [], []
for folder in ("Sources", "Tests"):
    for path in sorted((root / folder).rglob("*.swift")):
        lines = path.read_text(encoding="utf-8").splitlines()
        if len(lines) > MAX_LINES:
            long_files.append(f"{path.relative_to(root)}: {len(lines)} dòng")
        for number, line in enumerate(lines, 1):
            width = len(line.encode("utf-8"))
            if width > LIMIT:
                long_lines.append(f"{path.relative_to(root)}:{number}: {width} byte")
if long_lines:
    print("\n".join(long_lines))
    print(f"{len(long_lines)} dòng rộng quá {LIMIT} byte: hãy ngắt dòng (cách ngắt: docs/ARCHITECTURE.md, mục «Lines»).")
if long_files:
    print("\n".join(long_files))
    print(f"{len(long_files)} tệp dài quá {MAX_LINES} dòng: hãy tách theo trách nhiệm (docs/ARCHITECTURE.md, mục «Lines»).")
if long_lines or long_files:
    sys.exit(1)
print(f"Mọi tệp Swift trong Sources/ và Tests/ không quá {MAX_LINES} dòng, mọi dòng không quá {LIMIT} byte.")
