"""Load driver: N concurrent signed-in users on loopback, each in a loop for a fixed time.

Phase 1 measures /healthz (the floor: a request that touches the database and renders nothing),
phase 2 "Việc của tôi" (/viec) for staff, phase 3 the unit board (/viec/bang) for leaders. Prints
count, errors, p50/p95/p99 and each page's p95 as a ratio to /healthz's, measured in the same run.
"""
import argparse
import http.client
import re
import statistics
import threading
import time
import urllib.parse


def sign_in(host, port, username, password):
    c = http.client.HTTPConnection(host, port, timeout=30)
    c.request("GET", "/dang-nhap")
    r = c.getresponse()
    html = r.read().decode()
    token = re.search(r'name="_csrf" value="([^"]+)"', html).group(1)
    pre = [v.split(";")[0] for k, v in r.getheaders() if k.lower() == "set-cookie"]
    body = urllib.parse.urlencode({"_csrf": token, "username": username, "password": password})
    c.request("POST", "/dang-nhap", body, {"Content-Type": "application/x-www-form-urlencoded", "Cookie": "; ".join(pre)})
    r = c.getresponse()
    r.read()
    cookies = [v.split(";")[0] for k, v in r.getheaders() if k.lower() == "set-cookie" and "=;" not in v.split(";")[0] + ";"]
    if r.status != 303:
        raise SystemExit(f"sign-in {username}: {r.status}")
    return c, "; ".join(cookies)


def phase(name, host, port, sessions, path, seconds):
    times, errors, lock = [], [0], threading.Lock()
    stop = time.monotonic() + seconds

    def worker(conn, cookie):
        mine = []
        while time.monotonic() < stop:
            t0 = time.perf_counter()
            try:
                conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
                r = conn.getresponse()
                r.read()
                ok = r.status == 200
            except Exception:
                ok = False
                conn.close()
            dt = (time.perf_counter() - t0) * 1000
            if ok:
                mine.append(dt)
            else:
                with lock:
                    errors[0] += 1
        with lock:
            times.extend(mine)

    threads = [threading.Thread(target=worker, args=s) for s in sessions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    times.sort()
    q = lambda p: times[min(len(times) - 1, int(p * len(times)))] if times else float("nan")
    result = {"name": name, "n": len(times), "errors": errors[0], "rps": len(times) / seconds,
              "p50": q(0.50), "p95": q(0.95), "p99": q(0.99), "mean": statistics.fmean(times) if times else float("nan")}
    print(f"{name:<22} {result['n']:>7} req {result['errors']:>3} err {result['rps']:>7.1f}/s  "
          f"p50 {result['p50']:7.1f} ms  p95 {result['p95']:7.1f} ms  p99 {result['p99']:7.1f} ms", flush=True)
    return result


def main():
    a = argparse.ArgumentParser()
    a.add_argument("--host", default="127.0.0.1")
    a.add_argument("--port", type=int, default=8080)
    a.add_argument("--users", type=int, default=50)
    a.add_argument("--seconds", type=int, default=30)
    a.add_argument("--password", default="Demo@2026")
    args = a.parse_args()
    staff = [sign_in(args.host, args.port, f"tai{n:02d}", args.password) for n in range(1, args.users + 1)]
    leaders = [sign_in(args.host, args.port, f"tai{n:02d}", args.password) for n in range(1, 11)]
    # Five sessions per leader account: 50 concurrent users on the board too.
    board = [(http.client.HTTPConnection(args.host, args.port, timeout=30), cookie) for _, cookie in leaders for _ in range(args.users // 10)]
    floor = phase("/healthz", args.host, args.port, [(http.client.HTTPConnection(args.host, args.port, timeout=30), "") for _ in range(args.users)],
                  "/healthz", args.seconds)
    mine = phase("Việc của tôi (/viec)", args.host, args.port, staff, "/viec", args.seconds)
    unit = phase("Bảng đơn vị (/viec/bang)", args.host, args.port, board, "/viec/bang", args.seconds)
    for r in (mine, unit):
        print(f"{r['name']}: p95 {r['p95']:.1f} ms = {r['p95'] / floor['p95']:.1f}× /healthz p95; "
              f"throughput {r['rps'] / floor['rps']:.2f}× of /healthz; errors {r['errors']}")
    bad = [r for r in (mine, unit) if r["errors"] or r["p95"] > 100]
    raise SystemExit(1 if bad else 0)


if __name__ == "__main__":
    main()
