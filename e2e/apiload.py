"""Shared by the cluster tests (test_backup.py, test_faults.py): `kpi` and `psql` on the cluster's database,
and API clients that keep creating tasks and adding a PDF to each through nginx, noting what the system
acknowledged. With `retry`, a client whose call failed because the system was away (nginx 502, a 503
"hệ thống đang chuyển máy chủ", a dropped connection) sends the same call again with the same
Idempotency-Key, as a document system would, until it is answered."""
import contextlib
import datetime
import hashlib
import json
import pathlib
import random
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request

from conftest import KPI_BIN, SERVER, free_port, server_today


def as_postgres(*args, check=True):
    """A command run as the user postgres (PostgreSQL's own programs refuse root)."""
    done = subprocess.run(["runuser", "-u", "postgres", "--", *map(str, args)], capture_output=True, text=True, timeout=600)
    if check:
        assert done.returncode == 0, f"{' '.join(map(str, args))}: {done.stdout}{done.stderr}"
    return done


@contextlib.contextmanager
def fresh_postgres(settings=""):
    """A new PostgreSQL cluster of its own (another machine: to restore into, or to archive its WAL), on a free
    port with `settings` added to postgresql.conf ("{root}" in them: its folder), stopped and removed after.
    Yields root, data, port, pg_bin and url (postgres://postgres@127.0.0.1:port)."""
    pg_bin = sorted(pathlib.Path("/usr/lib/postgresql").glob("*/bin"))[-1]
    root = pathlib.Path(tempfile.mkdtemp(prefix="kpi-pg-", dir="/tmp"))
    root.chmod(0o755)
    shutil.chown(root, "postgres", "postgres")
    data, port = root / "pg", free_port()
    as_postgres(pg_bin / "initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8")
    with open(data / "postgresql.conf", "a") as f:
        f.write(f"\nlisten_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = '{root}'\nfsync = off\n")
        f.write(settings.replace("{root}", str(root)))
    as_postgres(pg_bin / "pg_ctl", "-D", data, "-l", root / "pg.log", "-w", "start")
    try:
        yield {"root": root, "data": data, "port": port, "pg_bin": pg_bin, "url": f"postgres://postgres@127.0.0.1:{port}"}
    finally:
        as_postgres(pg_bin / "pg_ctl", "-D", data, "-m", "immediate", "stop", check=False)
        shutil.rmtree(root, ignore_errors=True)


def kpi(args, env, check=True):
    done = subprocess.run([KPI_BIN] + args, env=env, capture_output=True, text=True, timeout=600)
    if check:
        assert done.returncode == 0, f"kpi {' '.join(args)}: {done.stdout}{done.stderr}"
    return done


def psql(sql, database, port=None):
    """Rows of `sql` on the cluster's PostgreSQL (or the one on `port`), each a list of texts."""
    pg = SERVER["postgres"]
    out = subprocess.run([str(pg["bin"] / "psql"), "-h", pg["host"], "-p", str(port or pg["port"]), "-U", "postgres", "-At", "-F",
                          "\t", "-d", database, "-c", sql], capture_output=True, text=True, check=True)
    return [line.split("\t") for line in out.stdout.splitlines() if line]


def createdb(name):
    pg = SERVER["postgres"]
    subprocess.run([str(pg["bin"] / "createdb"), "-h", pg["host"], "-p", pg["port"], "-U", "postgres", name], check=True)


def dropdb(name):
    pg = SERVER["postgres"]
    subprocess.run([str(pg["bin"] / "dropdb"), "-h", pg["host"], "-p", pg["port"], "-U", "postgres", "--if-exists", name],
                   check=False)


def database():
    """The cluster's database name."""
    return SERVER["env"]["DATABASE_URL"].rsplit("/", 1)[1].split("?")[0]


def client(username):
    """A new API client of the cluster's database allowed to give work, and who may be given what."""
    token = kpi(["api-client", "--username", username, "--name", "Thử tải " + username, "--rate", "10000",
                 "--scopes", "tasks:read tasks:write"], SERVER["env"]).stdout.strip().splitlines()[-1]
    pairs = psql("""SELECT p.code, pr.code FROM people p JOIN positions po ON po.id = p.position_id
                    JOIN products pr ON pr.group_id = po.group_id AND pr.active
                      AND (pr.position_id IS NULL OR pr.position_id = p.position_id) AND p.scope_path LIKE pr.scope_path || '%'
                    WHERE p.active AND p.leadership_rank = 'khong' ORDER BY 1, 2 LIMIT 200""", database())
    assert pairs, "no person and product to give work to"
    return token, pairs


def call(method, path, token, body=None, headers=None):
    """(status, JSON answer, headers); status 0 when the connection failed."""
    req = urllib.request.Request(SERVER["base"] + "/api/v1" + path, data=body, method=method,
                                 headers=dict({"Authorization": "Bearer " + token}, **(headers or {})))
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read() or b"{}"), r.headers
    except urllib.error.HTTPError as e:
        raw = e.read() or b"{}"
        try:
            answer = json.loads(raw)
        except ValueError:
            answer = {"raw": raw[:300].decode("utf-8", "replace")}
        return e.code, answer, e.headers
    except (urllib.error.URLError, ConnectionError, TimeoutError) as e:
        return 0, {"error": str(e)}, {}


class Load:
    """API clients creating a task and adding a PDF to it, again and again; what was acknowledged. With `judge`
    (the token of a second application), each task is then submitted for acceptance and the second application
    accepts it: workflow steps, each of which must happen wholly or not at all."""

    AWAY = (0, 502, 503)

    def __init__(self, token, pairs, clients=3, retry=False, tag="tai", judge=None):
        self.token, self.pairs, self.clients, self.retry, self.tag, self.judge = token, pairs, clients, retry, tag, judge
        self.tasks, self.files, self.problems, self.away = [], {}, [], []
        # Steps acknowledged (200), and steps whose answer was lost: sent again, they found the task already moved.
        self.submitted, self.accepted, self.unsure_submitted, self.unsure_accepted = [], [], [], []
        self.lock = threading.Lock()
        self.local = threading.local()
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(i,)) for i in range(clients)]

    def send(self, method, path, body, headers, token=None):
        """One call; with `retry`, again (same key) while the system is away, for up to 90 seconds. `self.sent`
        says how many times the last call was sent."""
        deadline = time.monotonic() + 90
        self.local.sent = 0
        while True:
            self.local.sent += 1
            status, answer, got = call(method, path, token or self.token, body, headers)
            # A call with this key is still being answered (or died holding it): ask again as Retry-After says.
            held = status == 409 and answer.get("code") == "idempotency-in-progress"
            if not self.retry or (status not in self.AWAY and not held) or time.monotonic() > deadline:
                return status, answer
            with self.lock:
                self.away.append((time.monotonic(), status, answer))
            if status == 503 and answer.get("code") != "database-unavailable":
                return status, answer
            time.sleep(0.3)

    def run(self, i):
        rng = random.Random(i)
        start = server_today()
        due = start + datetime.timedelta(days=10)
        n = 0
        while not self.stop.is_set():
            n += 1
            person, product = self.pairs[rng.randrange(len(self.pairs))]
            body = json.dumps({"title": f"Nhiệm vụ {self.tag} {i}-{n}", "assignee": person, "productCode": product,
                               "start": start.isoformat(), "due": due.isoformat()}).encode()
            status, task = self.send("POST", "/tasks", body,
                                     {"Content-Type": "application/json", "Idempotency-Key": f"{self.tag}-{i}-{n}"})
            # 201 made; 200 a call sent again after its first answer was lost found the task it had made.
            if status not in (200, 201) or (status == 200 and not self.retry):
                self.problems.append(f"task {i}-{n}: {status} {task}")
                continue
            with self.lock:
                self.tasks.append((time.monotonic(), task["code"]))
            pdf = b"%PDF-1.4\n" + rng.randbytes(rng.randrange(2_000, 60_000))
            status, ev = self.send("POST", f"/tasks/{task['code']}/evidence?name=bao-cao-{n}.pdf", pdf,
                                   {"Content-Type": "application/octet-stream", "Idempotency-Key": f"{self.tag}-{i}-{n}-tep"})
            if status != 201:
                self.problems.append(f"evidence {i}-{n}: {status} {ev}")
                continue
            with self.lock:
                self.files[hashlib.sha256(pdf).hexdigest()] = task["code"]
            if self.judge:
                self.steps(f"{self.tag}-{i}-{n}", task)

    def step(self, path, body, key, token, done, unsure):
        """A workflow step; its answer, or None when it was not acknowledged (noted where it belongs)."""
        status, answer = self.send("POST", path, json.dumps(body).encode(),
                                   {"Content-Type": "application/json", "Idempotency-Key": key}, token=token)
        code = path.split("/")[2]
        if status == 200:
            with self.lock:
                done.append(code)
            return answer
        if status == 409 and answer.get("code") in ("task-changed", "task-state") and self.local.sent > 1:
            with self.lock:
                unsure.append(code)
        else:
            self.problems.append(f"{path}: {status} {answer}")
        return None

    def steps(self, key, task):
        code = task["code"]
        sent = self.step(f"/tasks/{code}/submit", {"version": task["version"]}, key + "-gui", None,
                         self.submitted, self.unsure_submitted)
        if sent:
            self.step(f"/tasks/{code}/accept", {"version": sent["version"], "result": "dat"}, key + "-nt", self.judge,
                      self.accepted, self.unsure_accepted)

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=120)

    def check_database(self):
        """Every acknowledged task is in the database exactly once, with every acknowledged file, once."""
        codes = [c for _, c in self.tasks]
        assert codes, "nothing was acknowledged"
        live = psql(f"SELECT code FROM tasks WHERE code IN ({','.join(repr(c) for c in codes)})", database())
        assert sorted(r[0] for r in live) == sorted(codes)
        twice = psql(f"SELECT title, count(*) FROM tasks WHERE title LIKE 'Nhiệm vụ {self.tag} %' GROUP BY title HAVING count(*) > 1",
                     database())
        assert twice == [], f"tasks made twice: {twice[:5]}"
        stored = psql("SELECT e.sha256, t.code FROM evidence e JOIN tasks t ON t.id = e.task_id WHERE e.kind = 'tep'", database())
        assert set(self.files.items()) <= {(h, c) for h, c in stored}
        doubled = psql("SELECT task_id, sha256 FROM evidence WHERE kind = 'tep' GROUP BY 1, 2 HAVING count(*) > 1", database())
        assert doubled == [], f"files added twice: {doubled[:5]}"
        if self.judge:
            self.check_steps()

    def check_steps(self):
        """Each acknowledged step is in the task's state, with its one line of the timeline; a step sent again
        after its answer was lost had happened (else the retry would have done it); no step happened twice or
        left the state without its timeline."""
        def states(codes):
            if not codes:
                return {}
            return dict(psql(f"SELECT code, state FROM tasks WHERE code IN ({','.join(repr(c) for c in codes)})", database()))
        assert self.submitted or self.unsure_submitted, "no submission was acknowledged"
        for code, state in states(self.submitted + self.unsure_submitted).items():
            assert state in ("cho-nghiem-thu", "hoan-thanh"), (code, state)
        for code, state in states(self.accepted + self.unsure_accepted).items():
            assert state == "hoan-thanh", (code, state)
        like = f"'Nhiệm vụ {self.tag} %'"
        twice = psql(f"""SELECT t.code, e.kind, count(*) FROM task_events e JOIN tasks t ON t.id = e.task_id
                         WHERE t.title LIKE {like} AND e.kind IN ('gui-nghiem-thu', 'nghiem-thu')
                         GROUP BY 1, 2 HAVING count(*) > 1""", database())
        assert twice == [], f"steps done twice: {twice[:5]}"
        half = psql(f"""SELECT t.code, t.state FROM tasks t WHERE t.title LIKE {like} AND (
                          (t.state IN ('cho-nghiem-thu', 'hoan-thanh') AND NOT EXISTS (SELECT 1 FROM task_events e
                             WHERE e.task_id = t.id AND e.kind = 'gui-nghiem-thu'))
                          OR (t.state = 'hoan-thanh' AND NOT EXISTS (SELECT 1 FROM task_events e
                             WHERE e.task_id = t.id AND e.kind = 'nghiem-thu')))""", database())
        assert half == [], f"a state without its step: {half[:5]}"
