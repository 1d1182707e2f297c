"""Soak driver (run.sh): for N minutes, the pages of 50 signed-in users at a fixed arrival rate (the open model of
bench/province/driver.py) and API clients giving work, adding a file, submitting and accepting it at a steady pace,
through nginx to two processes; each minute the requests, errors and p95 of that minute and the resident memory of
each process. At the end: zero errors, and each process's memory at the end against after the warm-up (goal: less
than 10 % more).

    python3 bench/soak/driver.py --base http://127.0.0.1:8000 --pids 123,456 --minutes 30 --token … --judge … --pairs pairs.tsv
"""
import argparse
import asyncio
import datetime
import json
import os
import random
import sys
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "province"))
from driver import open_model, pct, sign_in  # noqa: E402


def rss(pid):
    """(resident, anonymous resident) bytes: the anonymous part is the heap and stacks, what a leak grows; the rest
    is the program's and libraries' pages read from disk as code paths are first used."""
    fields = {}
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(("VmRSS:", "RssAnon:")):
            fields[line.split(":")[0]] = int(line.split()[1]) * 1024
    return fields.get("VmRSS", 0), fields.get("RssAnon", 0)


class Writer(threading.Thread):
    """Gives work through the API, adds a PDF, submits it, and a second application accepts it, one task every
    `every` seconds; counts what was not answered as expected."""

    def __init__(self, base, token, judge, pairs, every):
        super().__init__(daemon=True)
        self.base, self.token, self.judge, self.pairs, self.every = base, token, judge, pairs, every
        self.done, self.errors, self.stop = 0, [], threading.Event()

    def call(self, path, token, body, kind, key):
        req = urllib.request.Request(self.base + "/api/v1" + path, data=body, method="POST",
                                     headers={"Authorization": "Bearer " + token, "Content-Type": kind, "Idempotency-Key": key})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as e:
            return e.code, {"raw": e.read()[:200].decode("utf-8", "replace")}
        except OSError as e:
            return 0, {"error": str(e)}

    def run(self):
        rng, n, today = random.Random(3), 0, datetime.date.today()
        while not self.stop.is_set():
            n += 1
            started = time.monotonic()
            person, product = self.pairs[rng.randrange(len(self.pairs))]
            body = json.dumps({"title": f"Việc chạy dài {n}", "assignee": person, "productCode": product,
                               "start": today.isoformat(), "due": (today + datetime.timedelta(days=5)).isoformat()}).encode()
            key = f"soak-{os.getpid()}-{n}"
            status, task = self.call("/tasks", self.token, body, "application/json", key)
            if status != 201:
                self.errors.append(f"tasks: {status} {task}")
                continue
            code = task["code"]
            pdf = b"%PDF-1.4\n" + rng.randbytes(20_000)
            for path, token, data, kind, suffix, want in [
                    (f"/tasks/{code}/evidence?name=bien-ban.pdf", self.token, pdf, "application/octet-stream", "-tep", 201),
                    (f"/tasks/{code}/submit", self.token, json.dumps({"version": task["version"]}).encode(), "application/json", "-gui", 200)]:
                status, answer = self.call(path, token, data, kind, key + suffix)
                if status != want:
                    self.errors.append(f"{path}: {status} {answer}")
                    break
                task = answer if "version" in answer else task
            else:
                status, answer = self.call(f"/tasks/{code}/accept", self.judge,
                                           json.dumps({"version": task["version"], "result": "dat"}).encode(), "application/json", key + "-nt")
                if status != 200:
                    self.errors.append(f"accept: {status} {answer}")
            self.done += 1
            self.stop.wait(max(0, self.every - (time.monotonic() - started)))


def main():
    a = argparse.ArgumentParser()
    a.add_argument("--base", required=True)
    a.add_argument("--pids", required=True)
    a.add_argument("--minutes", type=int, default=30)
    a.add_argument("--warmup", type=int, default=5, help="minutes before the memory taken as the reference")
    a.add_argument("--rate", type=float, default=60, help="page requests per second")
    a.add_argument("--token", required=True)
    a.add_argument("--judge", required=True)
    a.add_argument("--pairs", required=True)
    a.add_argument("--password", default="KpiCongVu@2026")
    args = a.parse_args()
    pids = [int(p) for p in args.pids.split(",")]
    pairs = [line.rstrip("\n").split("\t") for line in open(args.pairs) if line.strip()]
    requests = []
    for n in range(1, 51):
        cookie = sign_in(args.base, f"tai{n:02d}", args.password)
        requests += [("Việc của tôi", "/viec", cookie), ("Tìm việc", "/viec?q=tai", cookie)]
        if n <= 10:
            requests += [("Bảng đơn vị", "/viec/bang", cookie)]
    writer = Writer(args.base, args.token, args.judge, pairs, every=0.5)
    writer.start()
    rng = random.Random(5)
    total_errors, reference, memory = 0, None, []
    print("phút  yêu cầu  lỗi   p95 ms  việc qua API  bộ nhớ thường trú (ẩn danh), MB, từng tiến trình", flush=True)
    for minute in range(1, args.minutes + 1):
        plan = [rng.choice(requests) for _ in range(int(args.rate * 60))]
        results = asyncio.run(open_model(args.base, plan, args.rate))
        lat = sorted(x for v in results.values() for x in v[0])
        errors = sum(v[1] for v in results.values())
        total_errors += errors
        now = [rss(p) for p in pids]
        memory.append(now)
        if minute == args.warmup:
            reference = now
        print(f"{minute:>4}  {len(lat):>7}  {errors:>4}  {pct(lat, 95):7.1f}  {writer.done:>12}  "
              + "  ".join(f"{total / 1e6:7.1f} ({anon / 1e6:5.1f})" for total, anon in now), flush=True)
    writer.stop.set()
    writer.join(timeout=60)
    total_errors += len(writer.errors)
    reference = reference or memory[0]
    growth = [end[0] / ref[0] - 1 for end, ref in zip(memory[-1], reference)]
    anon = [end[1] / ref[1] - 1 for end, ref in zip(memory[-1], reference)]
    print(f"Tổng: {total_errors} lỗi ({len(writer.errors)} từ API: {writer.errors[:3]}); {writer.done} việc giao, gửi, nghiệm thu "
          f"qua API; bộ nhớ thường trú cuối so với phút {args.warmup}: " + ", ".join(f"{g * 100:+.1f} %" for g in growth)
          + "; phần ẩn danh (heap): " + ", ".join(f"{g * 100:+.1f} %" for g in anon))
    sys.exit(1 if total_errors or any(g >= 0.10 for g in growth) else 0)


if __name__ == "__main__":
    main()
