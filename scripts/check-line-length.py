#!/usr/bin/env python3
"""Fails when a Swift line in Sources/ or Tests/ is wider than 140 columns, counted as UTF-8 bytes
(as `awk`, `wc -L` in the C locale and most review tools count them: a Vietnamese letter takes two or
three); generated code (Sources/KPIServer/API/Generated) is left as the generator writes it. Run by scripts/test.sh before building."""
import pathlib
import sys

LIMIT = 140
root = pathlib.Path(__file__).resolve().parent.parent
long_lines = []
for folder in ("Sources", "Tests"):
    for path in sorted((root / folder).rglob("*.swift")):
        if "Generated" in path.parts:
            continue  # written by scripts/generate-api.sh from api/openapi.yaml
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            width = len(line.encode("utf-8"))
            if width > LIMIT:
                long_lines.append(f"{path.relative_to(root)}:{number}: {width} byte")
if long_lines:
    print("\n".join(long_lines))
    print(f"{len(long_lines)} dòng rộng quá {LIMIT} byte: hãy ngắt dòng (cách ngắt: docs/ARCHITECTURE.md, mục «Lines»).")
    sys.exit(1)
print(f"Mọi dòng Swift trong Sources/ và Tests/ không quá {LIMIT} byte.")
