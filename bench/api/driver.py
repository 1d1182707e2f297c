"""API benchmark driver (issue 20): 8 API clients, each on its own keep-alive connection in its own
thread, create 10 000 tasks through POST /api/v1/tasks with an Idempotency-Key each; about one call in
ten is sent again with the same key and body (as after a lost answer) and must get the first answer
back (Idempotent-Replayed), and one in fifty carries a source document already sent under another key,
which must answer 200 with the task already made. The floor is /healthz from the same 8 threads on the
same kind of connection, measured in the same run, before and after. Prints both rates, the ratio and
what the database holds afterwards (the caller checks it); exits 1 on any unexpected answer.
With --server-pid and --postgres-pid it also reads the CPU time the server and the PostgreSQL cluster spent in each phase
(/proc, Linux), and prints it per call: the ratio of the server's CPU per /healthz to its CPU per task is
the ratio the server itself allows, were nothing else slower than its CPU.
"""
import argparse
import http.client
import json
import os
import random
import sys
import threading
import time


def proc_stat(pid):
    """The fields of /proc/PID/stat after the command's name (state, parent, …), or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None


def cpu_seconds(pids):
    """CPU time (user and system) of the given processes, in seconds; a process gone counts nothing."""
    fields = [f for f in map(proc_stat, pids) if f]
    return sum(int(f[11]) + int(f[12]) for f in fields) / os.sysconf("SC_CLK_TCK")


def cluster_pids(postmaster):
    """The postmaster and the processes it has started (its backends and helpers)."""
    children = [int(n) for n in os.listdir("/proc") if n.isdigit() and (proc_stat(n) or [0, 0])[1] == str(postmaster)]
    return [postmaster] + children


class CPUClock:
    """The server's and the PostgreSQL cluster's CPU seconds spent between start() and stop()."""

    def __init__(self, server_pid, postmaster_pid):
        self.server_pid, self.postmaster_pid = server_pid, postmaster_pid

    def start(self):
        if self.server_pid and self.postmaster_pid:
            self.pg = cluster_pids(self.postmaster_pid)
            self.begin = (cpu_seconds([self.server_pid]), cpu_seconds(self.pg))

    def stop(self):
        if not (self.server_pid and self.postmaster_pid):
            return None
        pg = self.pg + [p for p in cluster_pids(self.postmaster_pid) if p not in self.pg]  # backends started meanwhile
        return (cpu_seconds([self.server_pid]) - self.begin[0], cpu_seconds(pg) - self.begin[1])


def connect(port):
    return http.client.HTTPConnection("127.0.0.1", port, timeout=60)


def healthz(port, workers, seconds):
    """Requests per second and the number of requests."""
    counts = [0] * workers
    stop = time.monotonic() + seconds

    def run(i):
        c = connect(port)
        while time.monotonic() < stop:
            c.request("GET", "/healthz")
            r = c.getresponse()
            r.read()
            if r.status != 200:
                raise SystemExit(f"/healthz answered {r.status}")
            counts[i] += 1
        c.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / (time.monotonic() - started), sum(counts)


def create_tasks(port, tokens, pairs, total, start, due, seed):
    per = total // len(tokens)
    problems = []
    stats = {"created": 0, "replayed": 0, "document_hits": 0}
    lock = threading.Lock()

    def run(i):
        rng = random.Random(seed + i)
        c = connect(port)
        headers = {"Authorization": "Bearer " + tokens[i], "Content-Type": "application/json"}
        documents = []

        def post(body, key):
            c.request("POST", "/api/v1/tasks", body, dict(headers, **{"Idempotency-Key": key}))
            r = c.getresponse()
            return r.status, r.getheader("Idempotent-Replayed"), json.loads(r.read() or b"{}")

        for n in range(per):
            assignee, product = pairs[rng.randrange(len(pairs))]
            task = {"title": f"Nhiệm vụ thử tải {i}-{n}", "assignee": assignee, "productCode": product, "start": start, "due": due}
            if n % 10 == 0:
                task["document"] = {"id": f"bench-{seed}-{i}-{n}", "number": f"{n}/CV-THU"}
                documents.append((task, assignee))
            body = json.dumps(task)
            key = f"bench-{seed}-{i}-{n}"
            status, _, first = post(body, key)
            if status != 201:
                problems.append(f"client {i} task {n}: {status} {first}")
                continue
            with lock:
                stats["created"] += 1
            if rng.random() < 0.1:
                status, replayed, again = post(body, key)
                if status != 201 or replayed != "true" or again.get("code") != first["code"]:
                    problems.append(f"client {i} retry of {n}: {status} {replayed} {again.get('code')} != {first['code']}")
                with lock:
                    stats["replayed"] += 1
            if documents and rng.random() < 0.02:
                sent, _ = documents[rng.randrange(len(documents))]
                status, _, existing = post(json.dumps(sent), key + "-doc")
                if status != 200:
                    problems.append(f"client {i} document sent again: {status} {existing}")
                with lock:
                    stats["document_hits"] += 1
        c.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(tokens))]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    return stats, elapsed, problems


def fmt(x, digits=2):
    """A number as the users read it: decimal comma."""
    return f"{x:.{digits}f}".replace(".", ",")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--tokens", required=True, help="file with one token per line (one per client)")
    ap.add_argument("--pairs", required=True, help="file of 'person code<TAB>product code' lines")
    ap.add_argument("--tasks", type=int, default=10000)
    ap.add_argument("--start", required=True)
    ap.add_argument("--due", required=True)
    ap.add_argument("--floor-seconds", type=float, default=10)
    ap.add_argument("--seed", type=int, default=20261203)
    ap.add_argument("--server-pid", type=int, help="with --postgres-pid: measure the server's CPU time per call")
    ap.add_argument("--postgres-pid", type=int, help="the cluster's postmaster, to measure PostgreSQL's CPU time too")
    a = ap.parse_args()
    tokens = [t.strip() for t in open(a.tokens) if t.strip()]
    pairs = [tuple(line.rstrip("\n").split("\t")) for line in open(a.pairs) if line.strip()]
    clock = CPUClock(a.server_pid, a.postgres_pid)
    clock.start()
    floor_before, health_calls = healthz(a.port, len(tokens), a.floor_seconds)
    health_cpu = clock.stop()
    clock.start()
    stats, elapsed, problems = create_tasks(a.port, tokens, pairs, a.tasks, a.start, a.due, a.seed)
    task_cpu = clock.stop()
    floor_after, _ = healthz(a.port, len(tokens), a.floor_seconds)
    floor = max(floor_before, floor_after)
    rate = stats["created"] / elapsed
    print(f"/healthz: {floor_before:.0f} req/s trước, {floor_after:.0f} req/s sau (lấy {floor:.0f})")
    print(f"Giao nhiệm vụ qua API: {stats['created']} nhiệm vụ trong {elapsed:.1f} s = {rate:.0f} nhiệm vụ/s "
          f"(kèm {stats['replayed']} lần gửi lại cùng khóa, {stats['document_hits']} lần gửi lại văn bản đã giao)")
    print(f"Tỉ lệ so với /healthz: {rate / floor:.3f}× (mục tiêu ≥ 0,25×)")
    summary = {"created": stats["created"], "rate": rate, "floor": floor, "ratio": rate / floor}
    if health_cpu and task_cpu and stats["created"]:
        per_health = [1000 * x / health_calls for x in health_cpu]
        per_task = [1000 * x / stats["created"] for x in task_cpu]
        calls = stats["created"] + stats["replayed"] + stats["document_hits"]  # every call, when none went wrong
        print(f"CPU của máy chủ: {fmt(per_health[0])} ms mỗi /healthz, {fmt(per_task[0])} ms mỗi nhiệm vụ "
              f"({fmt(1000 * task_cpu[0] / calls)} ms mỗi lời gọi); của PostgreSQL: {fmt(per_health[1])} ms và "
              f"{fmt(per_task[1])} ms")
        print(f"Tỉ lệ máy chủ cho phép theo CPU của chính nó: {fmt(per_health[0] / per_task[0], 3)}×")
        summary.update(server_ms_healthz=per_health[0], server_ms_task=per_task[0], postgres_ms_healthz=per_health[1],
                       postgres_ms_task=per_task[1], server_cpu_bound=per_health[0] / per_task[0])
    print(json.dumps(summary))
    for p in problems[:20]:
        print("LỖI:", p, file=sys.stderr)
    if problems:
        sys.exit(1)


if __name__ == "__main__":
    main()
