"""`kpi backup` under load and `kpi restore` into a fresh database (issue 21, backups): while API clients
create tasks and upload evidence through nginx to two processes, a backup is taken; every write the
system acknowledged is in the live database exactly once; the archive restores into a new database and
data folder, whose every table matches the copy's snapshot (counted and summed by `kpi restore`), whose
audit chain verifies, and whose evidence files are byte-identical to the originals; a tampered archive and
a wrong key are refused without writing anything."""
import datetime
import hashlib
import json
import os
import random
import subprocess
import threading
import time
import urllib.error
import urllib.request

from conftest import KPI_BIN, SERVER, server_today

CLUSTER = True


def kpi(args, env, check=True):
    done = subprocess.run([KPI_BIN] + args, env=env, capture_output=True, text=True, timeout=600)
    if check:
        assert done.returncode == 0, f"kpi {' '.join(args)}: {done.stdout}{done.stderr}"
    return done


def psql(sql, database):
    pg = SERVER["postgres"]
    out = subprocess.run([str(pg["bin"] / "psql"), "-h", pg["host"], "-p", pg["port"], "-U", "postgres", "-At", "-F", "\t",
                          "-d", database, "-c", sql], capture_output=True, text=True, check=True)
    return [line.split("\t") for line in out.stdout.splitlines() if line]


def createdb(name):
    pg = SERVER["postgres"]
    subprocess.run([str(pg["bin"] / "createdb"), "-h", pg["host"], "-p", pg["port"], "-U", "postgres", name], check=True)


def dropdb(name):
    pg = SERVER["postgres"]
    subprocess.run([str(pg["bin"] / "dropdb"), "-h", pg["host"], "-p", pg["port"], "-U", "postgres", "--if-exists", name],
                   check=False)


def call(method, path, token, body=None, headers=None):
    req = urllib.request.Request(SERVER["base"] + "/api/v1" + path, data=body, method=method,
                                 headers=dict({"Authorization": "Bearer " + token}, **(headers or {})))
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


class Load:
    """API clients creating a task and adding a PDF to it, again and again; what was acknowledged."""

    def __init__(self, token, pairs, clients=3):
        self.token, self.pairs, self.clients = token, pairs, clients
        self.tasks, self.files, self.problems = [], {}, []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(i,)) for i in range(clients)]

    def run(self, i):
        rng = random.Random(i)
        start = server_today()
        due = start + datetime.timedelta(days=10)
        n = 0
        while not self.stop.is_set():
            n += 1
            person, product = self.pairs[rng.randrange(len(self.pairs))]
            body = json.dumps({"title": f"Nhiệm vụ khi sao lưu {i}-{n}", "assignee": person, "productCode": product,
                               "start": start.isoformat(), "due": due.isoformat()}).encode()
            status, task = call("POST", "/tasks", self.token, body,
                                {"Content-Type": "application/json", "Idempotency-Key": f"sao-luu-{i}-{n}"})
            if status != 201:
                self.problems.append(f"task {i}-{n}: {status} {task}")
                continue
            with self.lock:
                self.tasks.append((time.monotonic(), task["code"]))
            pdf = b"%PDF-1.4\n" + rng.randbytes(rng.randrange(2_000, 60_000))
            status, ev = call("POST", f"/tasks/{task['code']}/evidence?name=bao-cao-{n}.pdf", self.token, pdf,
                              {"Content-Type": "application/octet-stream"})
            if status != 201:
                self.problems.append(f"evidence {i}-{n}: {status} {ev}")
                continue
            with self.lock:
                self.files[hashlib.sha256(pdf).hexdigest()] = task["code"]

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=120)


def test_a_backup_taken_under_load_restores_exactly(tmp_path):
    env = SERVER["env"]
    source = env["DATABASE_URL"].rsplit("/", 1)[1].split("?")[0]
    token = kpi(["api-client", "--username", "sao-luu-tai", "--name", "Thử sao lưu dưới tải", "--rate", "10000",
                 "--scopes", "tasks:read tasks:write"], env).stdout.strip().splitlines()[-1]
    pairs = psql("""SELECT p.code, pr.code FROM people p JOIN positions po ON po.id = p.position_id
                    JOIN products pr ON pr.group_id = po.group_id AND pr.active
                      AND (pr.position_id IS NULL OR pr.position_id = p.position_id) AND p.scope_path LIKE pr.scope_path || '%'
                    WHERE p.active AND p.leadership_rank = 'khong' ORDER BY 1, 2 LIMIT 200""", source)
    assert pairs, "no person and product to give work to"
    key = kpi(["backup", "--generate-key"], env).stdout.strip()
    benv = dict(env, KPI_BACKUP_KEY=key)
    with Load(token, pairs) as load:
        time.sleep(4)
        began = time.monotonic()
        made = kpi(["backup", "--out", str(tmp_path / "sao-luu")], benv)
        time.sleep(2)
    assert not load.problems, load.problems[:5]
    before = [code for at, code in load.tasks if at < began]
    assert len(before) >= 10 and len(load.tasks) > len(before), (len(before), len(load.tasks))
    archive = next((tmp_path / "sao-luu").glob("kpi-*.kpibak"))
    assert "Đã sao lưu" in made.stdout

    # Every acknowledged task is in the live database exactly once, and every acknowledged file with it.
    codes = [c for _, c in load.tasks]
    live = psql(f"SELECT code FROM tasks WHERE code IN ({','.join(repr(c) for c in codes)})", source)
    assert sorted(r[0] for r in live) == sorted(codes)
    stored = psql("SELECT e.sha256, t.code FROM evidence e JOIN tasks t ON t.id = e.task_id WHERE e.kind = 'tep'", source)
    assert set(load.files.items()) <= {(h, c) for h, c in stored}

    # Restored into a new database and data folder: kpi restore compares every table with the copy.
    target = source + "_khoi_phuc"
    createdb(target)
    try:
        renv = dict(benv, DATABASE_URL=env["DATABASE_URL"].replace(f"/{source}?", f"/{target}?"),
                    KPI_DATA_DIR=str(tmp_path / "khoi-phuc"))
        restored = kpi(["restore", "--file", str(archive)], renv)
        assert "Khớp" in restored.stdout and "toàn vẹn" in restored.stdout, restored.stdout
        kpi(["verify-audit"], renv)
        back = {r[0] for r in psql("SELECT code FROM tasks", target)}
        assert set(before) <= back, "a task acknowledged before the backup began is missing"
        for sha, in psql("SELECT DISTINCT sha256 FROM evidence WHERE kind = 'tep'", target):
            rel = f"minh-chung/{sha[:2]}/{sha[2:4]}/{sha}"
            copy = (tmp_path / "khoi-phuc" / rel).read_bytes()
            assert copy == open(os.path.join(env["KPI_DATA_DIR"], rel), "rb").read()
            assert hashlib.sha256(copy).hexdigest() == sha

        # A tampered archive, or the wrong key: refused, nothing written.
        spoiled = tmp_path / "hong.kpibak"
        data = bytearray(archive.read_bytes())
        data[len(data) // 2] ^= 0x40
        spoiled.write_bytes(bytes(data))
        third = source + "_hong"
        createdb(third)
        try:
            tenv = dict(renv, DATABASE_URL=env["DATABASE_URL"].replace(f"/{source}?", f"/{third}?"),
                        KPI_DATA_DIR=str(tmp_path / "hong"))
            refused = kpi(["restore", "--file", str(spoiled)], tenv, check=False)
            assert refused.returncode == 1 and "bị sửa" in refused.stdout + refused.stderr, refused.stdout + refused.stderr
            wrong = kpi(["restore", "--file", str(archive)], dict(tenv, KPI_BACKUP_KEY=kpi(["backup", "--generate-key"], env)
                                                                         .stdout.strip()), check=False)
            assert wrong.returncode == 1 and "Khóa sao lưu không đúng" in wrong.stdout + wrong.stderr
            assert psql("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'", third) == [["0"]]
        finally:
            dropdb(third)
    finally:
        dropdb(target)
