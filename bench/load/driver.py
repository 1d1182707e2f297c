"""Load driver: signs in the load test's users through the real form, then runs wrk (C, on
loopback) with 50 connections for each phase, each connection's requests carrying the signed-in
users' session cookies in turn (load.lua).

Phases: /healthz (the floor: a database round trip, no page), "Việc của tôi" (/viec) for 50 staff,
the unit board (/viec/bang) for 10 leaders as they get it (counted figures are reused until a write
or KPI_BOARD_CACHE_SECONDS), and the board counted afresh on every request (/viec/bang?moi=1, the
"Cập nhật ngay" link), which is reported but not held to the target. Prints count, errors,
p50/p95/p99 and each page's p95 as a ratio to /healthz's, measured in the same run; exits 1 when
"Việc của tôi" or the board has errors or a p95 above 100 ms.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from signin import sign_in  # noqa: E402


def phase(name, base, path, cookie_file, users, seconds):
    env = dict(os.environ, COOKIES=cookie_file or "")
    out = subprocess.run(["wrk", "-t2", f"-c{users}", f"-d{seconds}s", "--timeout", "10s", "-s", os.path.join(HERE, "load.lua"), base + path],
                         env=env, capture_output=True, text=True, check=True).stdout
    m = re.search(r"RESULT n=(\d+) errors=(\d+) p50=([\d.]+) p95=([\d.]+) p99=([\d.]+) seconds=([\d.]+)", out)
    if not m:
        raise SystemExit(f"wrk printed no result for {path}:\n{out}")
    n, errors = int(m.group(1)), int(m.group(2))
    r = {"name": name, "n": n, "errors": errors, "p50": float(m.group(3)), "p95": float(m.group(4)), "p99": float(m.group(5)),
         "rps": n / float(m.group(6))}
    print(f"{name:<34} {n:>7} req {errors:>3} err {r['rps']:>7.1f}/s  p50 {r['p50']:7.1f} ms  p95 {r['p95']:7.1f} ms  p99 {r['p99']:7.1f} ms", flush=True)
    return r


def main():
    a = argparse.ArgumentParser()
    a.add_argument("--host", default="127.0.0.1")
    a.add_argument("--port", type=int, default=8080)
    a.add_argument("--users", type=int, default=50)
    a.add_argument("--seconds", type=int, default=30)
    a.add_argument("--password", default="KpiCongVu@2026")
    args = a.parse_args()
    base = f"http://{args.host}:{args.port}"
    with tempfile.TemporaryDirectory() as tmp:
        staff, leaders = os.path.join(tmp, "staff"), os.path.join(tmp, "leaders")
        with open(staff, "w") as f:
            f.writelines(sign_in(args.host, args.port, f"tai{n:02d}", args.password) + "\n" for n in range(1, args.users + 1))
        with open(leaders, "w") as f:
            f.writelines(sign_in(args.host, args.port, f"tai{n:02d}", args.password) + "\n" for n in range(1, 11))
        floor = phase("/healthz", base, "/healthz", None, args.users, args.seconds)
        mine = phase("Việc của tôi (/viec)", base, "/viec", staff, args.users, args.seconds)
        unit = phase("Bảng đơn vị (/viec/bang)", base, "/viec/bang", leaders, args.users, args.seconds)
        fresh = phase("Bảng đơn vị, đếm lại (?moi=1)", base, "/viec/bang?moi=1", leaders, args.users, args.seconds)
    for r in (mine, unit, fresh):
        print(f"{r['name']}: p95 {r['p95']:.1f} ms = {r['p95'] / floor['p95']:.1f}× /healthz p95; "
              f"throughput {r['rps'] / floor['rps']:.2f}× of /healthz; errors {r['errors']}")
    bad = [r for r in (mine, unit) if r["errors"] or r["p95"] > 100]
    raise SystemExit(1 if bad else 0)


if __name__ == "__main__":
    main()
