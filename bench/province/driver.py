"""Province-scale load driver (run.sh): signs the 200 users in through the real form (through nginx), builds the mix of
pages they open on a working day, measures saturation throughput with wrk (closed model: as many requests as the
server answers) against one process and against two behind nginx, then drives the mix through nginx at a fixed
arrival rate (open model) of half the two-process saturation, and /healthz at the same rate, and reports each
page's p50/p95/p99 against /healthz's p95 measured in the same run.

The open model: arrival i is due at i / rate seconds whatever happened before, on a connection of its own or an idle
one, and its latency is counted from when it was due (so a slow answer cannot hide the requests queued behind it).

    python3 bench/province/driver.py --base http://127.0.0.1:8000 --single http://127.0.0.1:8001 --targets targets.tsv
"""
import argparse
import asyncio
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import signin  # noqa: E402
# What a working day looks like: the share of each page among the requests.
MIX = [("Việc của tôi", 35), ("Trang nhiệm vụ", 25), ("Bảng đơn vị", 15), ("Giải thích kết quả", 15), ("Báo cáo", 10)]


def sign_in(base, username, password):
    u = urllib.parse.urlparse(base)
    return signin.sign_in(u.hostname, u.port, username, password)


def requests_of(targets, month, base, password):
    """(kind, path, cookie) for every page each user opens."""
    out = []
    for line in open(targets):
        username, role, code, task, unit, scored = line.rstrip("\n").split("\t")
        cookie = sign_in(base, username, password)
        if role == "lanh-dao":
            out.append(("Bảng đơn vị", "/viec/bang", cookie))
            out.append(("Báo cáo", f"/bao-cao?ky={month}&don_vi={unit}", cookie))
        out.append(("Việc của tôi", "/viec", cookie))
        if task:
            out.append(("Trang nhiệm vụ", f"/viec/{task}", cookie))
        if scored == "t":
            out.append(("Giải thích kết quả", f"/ket-qua/{month}/{code}", cookie))
    return out


def schedule(requests, n, seed=7):
    """n requests drawn by the mix's weights, each kind's requests in turn among its users."""
    rng = random.Random(seed)
    by_kind = {k: [r for r in requests if r[0] == k] for k, _ in MIX}
    kinds = [k for k, w in MIX for _ in range(w) if by_kind[k]]
    return [rng.choice(by_kind[k]) for k in (rng.choice(kinds) for _ in range(n))]


def saturation(url, requests, seconds, connections):
    """Closed model: wrk with `connections` connections for `seconds`; (requests per second, errors)."""
    with tempfile.NamedTemporaryFile("w", delete=False) as f:
        for _, path, cookie in schedule(requests, 20000, seed=11):
            f.write(f"{path}\t{cookie}\n")
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", os.path.join(HERE, "..", "load", "load.lua"), url],
                         env=dict(os.environ, REQUESTS=f.name), capture_output=True, text=True, check=True).stdout
    os.unlink(f.name)
    m = re.search(r"RESULT n=(\d+) errors=(\d+) p50=([\d.]+) p95=([\d.]+) p99=([\d.]+) seconds=([\d.]+)", out)
    if not m:
        raise SystemExit("wrk printed no result:\n" + out)
    return int(m.group(1)) / float(m.group(6)), int(m.group(2))


async def fetch(host, port, idle, path, cookie):
    """One GET on an idle connection or a new one; (status, connection kept)."""
    conn = idle.pop() if idle else await asyncio.open_connection(host, port)
    reader, writer = conn
    head = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n" + (f"Cookie: {cookie}\r\n" if cookie else "") + "\r\n"
    writer.write(head.encode())
    await writer.drain()
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("closed")
    status = int(status_line.split()[1])
    length, chunked, close = 0, False, False
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        name, value = name.strip().lower(), value.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "transfer-encoding" and "chunked" in value:
            chunked = True
        elif name == "connection" and value == "close":
            close = True
    if chunked:
        while True:
            size = int((await reader.readline()).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    if close:
        writer.close()
    else:
        idle.append(conn)
    return status


async def open_model(base, plan, rate):
    """Sends plan[i] at i / rate seconds; per kind the latencies (ms, from when due) and the errors."""
    u = urllib.parse.urlparse(base)
    idle, results, tasks = [], {}, []
    start = time.perf_counter() + 0.2

    async def one(i, kind, path, cookie):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        try:
            status = await fetch(u.hostname, u.port, idle, path, cookie)
            ok = status == 200
        except (OSError, ValueError, asyncio.IncompleteReadError):
            ok = False
        lat, errors = results.setdefault(kind, ([], [0]))
        lat.append((time.perf_counter() - due) * 1000)
        if not ok:
            errors[0] += 1

    for i, (kind, path, cookie) in enumerate(plan):
        tasks.append(asyncio.create_task(one(i, kind, path, cookie)))
    await asyncio.gather(*tasks)
    return {k: (sorted(v[0]), v[1][0]) for k, v in results.items()}


def pct(xs, p):
    return xs[min(len(xs) - 1, int(len(xs) * p / 100))] if xs else float("nan")


def main():
    a = argparse.ArgumentParser()
    a.add_argument("--base", required=True, help="nginx in front of the two processes")
    a.add_argument("--single", required=True, help="one process alone, for the saturation with one process")
    a.add_argument("--targets", required=True)
    a.add_argument("--month", required=True)
    a.add_argument("--seconds", type=int, default=60, help="each open-model phase")
    a.add_argument("--saturation-seconds", type=int, default=30)
    a.add_argument("--password", default="KpiCongVu@2026")
    args = a.parse_args()
    requests = requests_of(args.targets, args.month, args.base, args.password)
    users = len({r[2] for r in requests})
    print(f"{users} người dùng đã đăng nhập; {len(requests)} trang khác nhau", flush=True)
    # Every page once before the load: one that does not answer 200 is a fault of the data or the server, said here.
    first = asyncio.run(open_model(args.base, [(f"{k} {p}", p, c) for k, p, c in requests], 50))
    wrong = [k for k, (_, errors) in first.items() if errors]
    if wrong:
        print("Không trả 200: " + "; ".join(wrong[:10]), flush=True)
    one_rps, one_err = saturation(args.single, requests, args.saturation_seconds, 64)
    two_rps, two_err = saturation(args.base, requests, args.saturation_seconds, 64)
    print(f"Bão hòa (mô hình đóng, 64 kết nối): 1 tiến trình {one_rps:.0f} trang/s ({one_err} lỗi); "
          f"2 tiến trình sau nginx {two_rps:.0f} trang/s ({two_err} lỗi); tỉ lệ {two_rps / one_rps:.2f}", flush=True)
    rate = max(1.0, two_rps / 2)
    n = int(rate * args.seconds)
    mixed = asyncio.run(open_model(args.base, schedule(requests, n), rate))
    floor = asyncio.run(open_model(args.base, [("/healthz", "/healthz", "")] * n, rate))
    f95 = pct(floor["/healthz"][0], 95)
    print(f"Mô hình mở, {rate:.0f} yêu cầu/s (một nửa bão hòa của 2 tiến trình), {args.seconds} s mỗi pha:")
    print(f"  {'/healthz':<22} {len(floor['/healthz'][0]):>6} yêu cầu {floor['/healthz'][1]:>3} lỗi  p50 "
          f"{pct(floor['/healthz'][0], 50):7.1f} ms  p95 {f95:7.1f} ms  p99 {pct(floor['/healthz'][0], 99):7.1f} ms")
    bad = one_err + two_err + floor["/healthz"][1] + len(wrong)
    for kind, _ in MIX:
        lat, errors = mixed.get(kind, ([], 0))
        ratio = pct(lat, 95) / f95 if f95 else float("inf")
        bad += errors
        print(f"  {kind:<22} {len(lat):>6} yêu cầu {errors:>3} lỗi  p50 {pct(lat, 50):7.1f} ms  p95 {pct(lat, 95):7.1f} ms  "
              f"p99 {pct(lat, 99):7.1f} ms  p95 = {ratio:.1f}× /healthz" + ("" if ratio <= 5 else "  (quá 5×)"))
        if ratio > 5:
            bad += 1
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
