#!/usr/bin/env python3
"""Fails when a Swift line in Sources/ or Tests/ is longer than 140 characters (counted as
characters, not bytes: Vietnamese text is multi-byte). Run by scripts/test.sh before building."""
import pathlib
import sys

LIMIT = 140
root = pathlib.Path(__file__).resolve().parent.parent
long_lines = []
for folder in ("Sources", "Tests"):
    for path in sorted((root / folder).rglob("*.swift")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if len(line) > LIMIT:
                long_lines.append(f"{path.relative_to(root)}:{number}: {len(line)} ký tự")
if long_lines:
    print("\n".join(long_lines))
    print(f"{len(long_lines)} dòng dài quá {LIMIT} ký tự: hãy ngắt dòng (cách ngắt: docs/ARCHITECTURE.md, mục «Lines»).")
    sys.exit(1)
print(f"Mọi dòng Swift trong Sources/ và Tests/ không quá {LIMIT} ký tự.")
