"""Times the province's report as its advisory body (thammuu, with the two-step code of `kpi demo`) opens it: the
first request after the processes start (the figures counted from the stored results, nothing kept yet) and then
20 more (p50, slowest), for the whole province and one agency. Used by run.sh with one year and with five."""
import argparse
import http.client
import importlib.util
import os
import re
import time
import urllib.parse

spec = importlib.util.spec_from_file_location(
    "reports_driver", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reports", "driver.py"))
reports = importlib.util.module_from_spec(spec)
spec.loader.exec_module(reports)


def timed(host, port, path, cookie):
    c = http.client.HTTPConnection(host, port, timeout=120)
    start = time.perf_counter()
    c.request("GET", path, headers={"Cookie": cookie})
    r = c.getresponse()
    r.read()
    if r.status != 200:
        raise SystemExit(f"{path}: {r.status}")
    return (time.perf_counter() - start) * 1000


def main():
    a = argparse.ArgumentParser()
    a.add_argument("--base", required=True)
    a.add_argument("--month", required=True)
    a.add_argument("--logins", required=True)
    a.add_argument("--agency", default="BCQ-001")
    a.add_argument("--password", default="KpiCongVu@2026")
    args = a.parse_args()
    u = urllib.parse.urlparse(args.base)
    text = open(args.logins, encoding="utf-8").read()
    secret = re.search(r"^\s*thammuu\s.*khóa xác thực hai bước: ([A-Z2-7 ]+)$", text, re.M).group(1).replace(" ", "")
    cookie = reports.sign_in(u.hostname, u.port, "thammuu", args.password, secret)
    for name, path in [("Báo cáo toàn tỉnh", f"/bao-cao?ky={args.month}"),
                       ("Báo cáo một cơ quan", f"/bao-cao?ky={args.month}&don_vi={args.agency}")]:
        first = timed(u.hostname, u.port, path, cookie)
        rest = sorted(timed(u.hostname, u.port, path, cookie) for _ in range(20))
        print(f"   {name}: lần đầu {first:.0f} ms; 20 lần sau: p50 {rest[10]:.1f} ms, chậm nhất {rest[-1]:.1f} ms", flush=True)


if __name__ == "__main__":
    main()
