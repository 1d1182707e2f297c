"""Reports benchmark driver (issue 19): signs the advisory body's account (thammuu, with its two-step
code from pyotp) in through the real forms, then, with wrk (load.lua of the load test) and N concurrent
viewers on one session, after one untimed request to each page (the first viewer after a start counts
what is then kept), times /healthz (the floor), the province report, an agency's report and the
advisory home page, and prints each page's p95 as a ratio to /healthz's p95 measured in the same run.
Then downloads every person's results of the province («Kết quả từng người») as CSV and as XLSX, timing
each, while sampling the server's resident memory (VmRSS) every 20 ms: the growth over the memory before
the export is what the export cost. Exits 1 when a page has errors, a p95 above 150 ms or above 8× the
floor's, or an export's memory growth reaches 100 MB.
"""
import argparse
import http.client
import os
import re
import sys
import tempfile
import threading
import time
import urllib.parse

import pyotp

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "load"))
from driver import phase  # noqa: E402  (the load test's wrk phase)


def cookies_of(r):
    return {v.split(";")[0].split("=", 1)[0]: v.split(";")[0] for k, v in r.getheaders() if k.lower() == "set-cookie"}


def form(c, path, jar, fields):
    c.request("GET", path, headers={"Cookie": "; ".join(jar.values())})
    r = c.getresponse()
    html = r.read().decode()
    jar.update(cookies_of(r))
    token = re.search(r'name="_csrf" value="([^"]+)"', html).group(1)
    body = urllib.parse.urlencode(dict(fields, _csrf=token))
    c.request("POST", path, body, {"Content-Type": "application/x-www-form-urlencoded", "Cookie": "; ".join(jar.values())})
    r = c.getresponse()
    r.read()
    jar.update(cookies_of(r))
    return r


def sign_in(host, port, username, password, secret):
    c = http.client.HTTPConnection(host, port, timeout=30)
    jar = {}
    r = form(c, "/dang-nhap", jar, {"username": username, "password": password})
    if r.status != 303:
        raise SystemExit(f"sign-in {username}: {r.status}")
    if "ma-xac-thuc" in (r.getheader("Location") or ""):
        r = form(c, "/dang-nhap/ma-xac-thuc", jar, {"code": pyotp.TOTP(secret).now()})
        if r.status != 303:
            raise SystemExit(f"two-step code {username}: {r.status}")
    c.close()
    return "; ".join(v for v in jar.values() if not v.endswith("="))


def warm(host, port, path, cookie):
    c = http.client.HTTPConnection(host, port, timeout=60)
    c.request("GET", path, headers={"Cookie": cookie})
    r = c.getresponse()
    r.read()
    if r.status != 200:
        raise SystemExit(f"{path}: {r.status}")
    time.sleep(2)  # what is counted in the background (the hot spots) has finished


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


def download(host, port, path, cookie, pid):
    """Downloads `path`, sampling the server's memory; returns (seconds, bytes, rows hint, peak growth MiB)."""
    before = rss_kib(pid)
    peak = [before]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss_kib(pid))
            time.sleep(0.02)
    t = threading.Thread(target=sample)
    t.start()
    start = time.time()
    c = http.client.HTTPConnection(host, port, timeout=600)
    c.request("GET", path, headers={"Cookie": cookie})
    r = c.getresponse()
    size = 0
    first = None
    while True:
        chunk = r.read(1 << 16)
        if not chunk:
            break
        first = first or time.time() - start
        size += len(chunk)
    seconds = time.time() - start
    done.set()
    t.join()
    if r.status != 200:
        raise SystemExit(f"{path}: {r.status}")
    return seconds, first or seconds, size, (peak[0] - before) / 1024


def main():
    a = argparse.ArgumentParser()
    a.add_argument("--host", default="127.0.0.1")
    a.add_argument("--port", type=int, required=True)
    a.add_argument("--pid", type=int, required=True)
    a.add_argument("--viewers", type=int, default=20)
    a.add_argument("--seconds", type=int, default=20)
    a.add_argument("--month", required=True)
    a.add_argument("--agency", required=True)
    a.add_argument("--logins", required=True, help="what `kpi demo` printed (the two-step keys)")
    a.add_argument("--password", default="KpiCongVu@2026")
    args = a.parse_args()
    text = open(args.logins, encoding="utf-8").read()
    secret = re.search(r"^\s*thammuu\s.*khóa xác thực hai bước: ([A-Z2-7 ]+)$", text, re.M).group(1).replace(" ", "")
    cookie = sign_in(args.host, args.port, "thammuu", args.password, secret)
    base = f"http://{args.host}:{args.port}"
    failed = []
    with tempfile.TemporaryDirectory() as tmp:
        jar = os.path.join(tmp, "cookies")
        with open(jar, "w") as f:
            f.write(cookie + "\n")
        paths = [("Báo cáo toàn tỉnh", f"/bao-cao?ky={args.month}"),
                 ("Báo cáo một cơ quan", f"/bao-cao?ky={args.month}&don_vi={args.agency}"),
                 ("Tổng quan (tham mưu)", "/")]
        # The first viewer after the server starts counts what is then kept (the figures, the hot spots):
        # one request each, untimed, as a server that has run a while has done.
        for _, path in paths:
            warm(args.host, args.port, path, cookie)
        floor = phase("/healthz", base, "/healthz", None, args.viewers, args.seconds)
        pages = [phase(name, base, path, jar, args.viewers, args.seconds) for name, path in paths]
    for r in pages:
        ratio = r["p95"] / floor["p95"]
        print(f"{r['name']}: p95 {r['p95']:.1f} ms = {ratio:.1f}× /healthz p95; errors {r['errors']}")
        if r["errors"] or not r["n"] or r["p95"] > 150 or ratio > 8:
            failed.append(r["name"])
    exports = {}
    for fmt in ("csv", "xlsx"):
        path = f"/bao-cao?ky={args.month}&chi_tiet=nguoi&dinh_dang={fmt}"
        seconds, first, size, growth = download(args.host, args.port, path, cookie, args.pid)
        exports[fmt] = seconds
        print(f"Kết quả từng người, toàn tỉnh ({fmt.upper()}): {seconds:.2f} s (byte đầu tiên sau {first:.2f} s), "
              f"{size / 1e6:.1f} MB, bộ nhớ máy chủ tăng {growth:.1f} MiB")
        if growth >= 100:
            failed.append(f"export {fmt}")
    print(f"XLSX / CSV: {exports['xlsx'] / exports['csv']:.2f}×")
    if failed:
        print("Chưa đạt: " + ", ".join(failed))
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
