"""Where a Swift server's CPU goes, by library: reads a `perf record -g` file of the server process and
gives each sample to the first library above it that is named below (a sample inside the Swift runtime,
libc or the kernel goes to whichever library called into them). NIO's event loop and sockets count only
when no other named library is on the stack. Frame-pointer stacks end where an async task was resumed,
so a sample whose stack names none of these is "not attributed".

    perf record -F 1999 -g -p SERVER_PID -o perf.data -- sleep 8
    python3 bench/lib/perf_owners.py perf.data [--detail MODULE]

--detail MODULE lists the entry points into that library (the outermost of its frames in each sample).
"""
import argparse
import collections
import re
import subprocess

# Swift mangled names begin with $s, the module's name length and name.
LIBRARIES = [
    ("ours", ["KPIServer", "KPICore"]),
    ("Fluent", ["FluentKit", "FluentPostgresDriver", "FluentSQLiteDriver"]),
    ("SQLKit", ["SQLKit"]),
    ("PostgresKit", ["PostgresKit"]),
    ("PostgresNIO", ["PostgresNIO"]),
    ("AsyncKit", ["AsyncKit"]),
    ("OpenAPI runtime", ["OpenAPIRuntime", "OpenAPIVapor"]),
    ("HTTP server (Vapor, NIOHTTP1)", ["Vapor", "NIOHTTP1", "RoutingKit"]),
    ("Foundation (JSON, strings, dates)", ["Foundation", "FoundationEssentials", "FoundationInternationalization"]),
    ("Logging, Metrics", ["Logging", "Metrics", "CoreMetrics"]),
    ("NIO event loop and sockets", ["NIOCore", "NIOPosix", "NIOConcurrencyHelpers", "NIOExtras"]),
]
EVENT_LOOP = LIBRARIES[-1][0]
PREFIXES = [(name, f"{len(m)}{m}") for name, modules in LIBRARIES for m in modules]
FRAME = re.compile(r"[0-9a-f]+\s+(\S+?)(?:\+0x[0-9a-f]+)?\s+\((.*)\)")


def library(symbol):
    """The library a mangled Swift symbol belongs to, or None."""
    if not symbol.startswith("$s"):
        return None
    head = symbol[2:].lstrip("S")  # specializations and thunks keep the module soon after
    for name, prefix in PREFIXES:
        if head.startswith(prefix):
            return name
    for name, prefix in PREFIXES:  # outlined copies, closures in specializations: the module comes later
        if prefix in symbol[:48]:
            return name
    return None


def samples(path):
    text = subprocess.run(["perf", "script", "-i", path, "-F", "ip,sym,dso"], capture_output=True, text=True,
                          check=True).stdout
    for block in text.split("\n\n"):
        frames = [m.group(1) for m in (FRAME.match(line.strip()) for line in block.splitlines()) if m]
        if frames:
            yield frames


def owner(frames):
    seen_loop = False
    for symbol in frames:
        name = library(symbol)
        if name == EVENT_LOOP:
            seen_loop = True
        elif name:
            return name
    return EVENT_LOOP if seen_loop else "not attributed"


def entry(frames, wanted):
    """The outermost frame of the first run of the wanted library's frames, if the sample's owner is it."""
    run = []
    for symbol in frames:
        name = library(symbol)
        if name == wanted:
            run.append(symbol)
        elif name and name != EVENT_LOOP or run:
            break
    return run[-1] if run else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("perf_data")
    ap.add_argument("--detail", help="one of the libraries' names, to list its entry points")
    a = ap.parse_args()
    owners, entries, total = collections.Counter(), collections.Counter(), 0
    for frames in samples(a.perf_data):
        total += 1
        owners[owner(frames)] += 1
        if a.detail:
            e = entry(frames, a.detail)
            if e:
                entries[e] += 1
    print(f"{total} mẫu")
    for name, count in owners.most_common():
        print(f"{100 * count / total:5.1f} %  {name}".replace(".", ","))
    if a.detail:
        names = subprocess.run(["swift", "demangle", "--simplified"], input="\n".join(e for e, _ in entries.most_common(20)),
                               capture_output=True, text=True).stdout.splitlines()
        print(f"-- lối vào {a.detail}")
        for name, (_, count) in zip(names, entries.most_common(20)):
            print(f"{100 * count / total:5.1f} %  {name[:150]}".replace(".", ",", 1))


if __name__ == "__main__":
    main()
