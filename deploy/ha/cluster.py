#!/usr/bin/env python3
"""A highly available PostgreSQL for KPI Công vụ on one machine, on loopback: three etcd members, two PostgreSQL
nodes managed by Patroni with synchronous replication, and HAProxy routing to the leader (all from Debian's
packages: etcd-server, patroni, haproxy). The same configuration files as production (deploy/ha/patroni.yml,
deploy/ha/haproxy.cfg), filled in for loopback ports. For a trial and for the tests (e2e/test_failover.py);
production puts each member on its own machine (docs/van-hanh.md, «Tự chuyển máy chủ khi máy chính hỏng»).

    python3 deploy/ha/cluster.py start --dir /srv/kpi-ha     # prints DATABASE_URL and KPI_READ_DATABASE_URL
    python3 deploy/ha/cluster.py status --dir /srv/kpi-ha
    python3 deploy/ha/cluster.py stop --dir /srv/kpi-ha

Run as root (PostgreSQL and Patroni run as the user postgres)."""
import argparse
import json
import os
import pathlib
import pwd
import shutil
import signal
import socket
import string
import subprocess
import sys
import time
import urllib.error
import urllib.request

HERE = pathlib.Path(__file__).resolve().parent


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pg_bin():
    found = sorted(pathlib.Path("/usr/lib/postgresql").glob("*/bin"))
    if not found:
        raise RuntimeError("PostgreSQL không có trong /usr/lib/postgresql (gói Debian postgresql)")
    return found[-1]


def missing_tools():
    """The programs this needs that the machine lacks."""
    return [t for t in ("etcd", "patroni", "haproxy") if not (shutil.which(t) or os.path.exists(f"/usr/sbin/{t}"))]


def rest(port, path, timeout=2):
    """(status, JSON) of a Patroni node's REST API; (0, {}) when it does not answer."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        try:
            return e.code, json.loads(e.read() or b"{}")
        except ValueError:
            return e.code, {}
    except (OSError, ValueError):
        return 0, {}


def descendants(pid):
    """The processes under `pid` (from /proc), deepest last."""
    children = {}
    for stat in pathlib.Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    out, todo = [], [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


class HACluster:
    """The cluster under `root`; its ports are kept in root/cluster.json so another command can find it."""

    def __init__(self, root):
        self.root = pathlib.Path(root)
        self.state_file = self.root / "cluster.json"
        self.procs = {}
        if self.state_file.exists():
            self.state = json.loads(self.state_file.read_text())
        else:
            self.state = {
                "etcd": [{"name": f"e{i}", "client": free_port(), "peer": free_port()} for i in (1, 2, 3)],
                "nodes": [{"name": f"pg{i}", "pg": free_port(), "rest": free_port()} for i in (1, 2)],
                "primary": free_port(), "replica": free_port(), "pids": {},
            }

    # ---- addresses

    @property
    def url(self):
        """DATABASE_URL's server part (the leader, through HAProxy)."""
        return f"postgres://postgres@127.0.0.1:{self.state['primary']}"

    @property
    def replica_url(self):
        return f"postgres://postgres@127.0.0.1:{self.state['replica']}"

    def node(self, name):
        return next(n for n in self.state["nodes"] if n["name"] == name)

    # ---- start and stop

    def save(self):
        self.state_file.write_text(json.dumps(self.state, indent=2))

    def spawn(self, key, args, log, user=None):
        out = open(self.root / log, "ab")
        kw = {"user": user, "group": user, "extra_groups": []} if user else {}
        env = dict(os.environ, HOME=str(self.root)) if user else None
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, cwd=self.root, env=env, **kw)
        self.procs[key] = proc
        self.state["pids"][key] = proc.pid
        self.save()
        return proc

    def start(self):
        lacking = missing_tools()
        if lacking:
            raise RuntimeError("thiếu chương trình: " + ", ".join(lacking) + " (apt-get install etcd-server patroni haproxy)")
        self.root.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o755)
        shutil.chown(self.root, "postgres", "postgres")
        self.save()
        self.start_etcd()
        first, second = (n["name"] for n in self.state["nodes"])
        self.start_node(first)
        self.wait(lambda: self.leader() == first, 90, "nút đầu tiên trở thành máy chính")
        self.start_node(second)
        self.wait_synchronous(120)
        self.start_haproxy()
        return self

    def start_etcd(self):
        members = ",".join(f"{e['name']}=http://127.0.0.1:{e['peer']}" for e in self.state["etcd"])
        for e in self.state["etcd"]:
            self.spawn(e["name"], [shutil.which("etcd"), "--name", e["name"], "--data-dir", str(self.root / e["name"]),
                                   "--listen-client-urls", f"http://127.0.0.1:{e['client']}",
                                   "--advertise-client-urls", f"http://127.0.0.1:{e['client']}",
                                   "--listen-peer-urls", f"http://127.0.0.1:{e['peer']}",
                                   "--initial-advertise-peer-urls", f"http://127.0.0.1:{e['peer']}",
                                   "--initial-cluster", members, "--initial-cluster-state", "new",
                                   "--initial-cluster-token", "kpi-cong-vu"], f"{e['name']}.log")

        def healthy():
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.state['etcd'][0]['client']}/health", timeout=2) as r:
                    return json.loads(r.read()).get("health") == "true"
            except (OSError, ValueError):
                return False
        self.wait(healthy, 60, "etcd có đủ thành viên")

    def config(self, n):
        """The node's Patroni configuration: deploy/ha/patroni.yml filled in for loopback."""
        text = string.Template((HERE / "patroni.yml").read_text()).substitute(
            name=n["name"], host="127.0.0.1", rest_port=n["rest"], pg_port=n["pg"],
            etcd_hosts=",".join(f"127.0.0.1:{e['client']}" for e in self.state["etcd"]),
            network="127.0.0.1/32", auth="trust", data_dir=self.root / n["name"], bin_dir=pg_bin(),
            pgpass=self.root / f"{n['name']}.pgpass", replication_password="chi-dung-tren-may-thu",
            superuser_password="chi-dung-tren-may-thu", socket_dir=self.root)
        path = self.root / f"{n['name']}.yml"
        path.write_text(text)
        return path

    def start_node(self, name):
        n = self.node(name)
        self.spawn(name, [shutil.which("patroni"), str(self.config(n))], f"{name}.log", user="postgres")

    def start_haproxy(self):
        def servers():
            return "\n".join(f"    server {n['name']} 127.0.0.1:{n['pg']} check port {n['rest']}" for n in self.state["nodes"])
        cfg = self.root / "haproxy.cfg"
        cfg.write_text(string.Template((HERE / "haproxy.cfg").read_text()).substitute(
            primary_bind=f"127.0.0.1:{self.state['primary']}", replica_bind=f"127.0.0.1:{self.state['replica']}",
            primary_servers=servers(), replica_servers=servers()))
        haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
        check = subprocess.run([haproxy, "-c", "-f", str(cfg)], capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError("haproxy.cfg: " + check.stdout + check.stderr)
        self.spawn("haproxy", [haproxy, "-db", "-f", str(cfg)], "haproxy.log")
        self.wait(self.writable, 30, "HAProxy đưa tới máy chính")

    def stop(self):
        for key, pid in list(self.state["pids"].items()):
            try:
                os.killpg(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 30
        for key, pid in list(self.state["pids"].items()):
            while time.monotonic() < deadline and pathlib.Path(f"/proc/{pid}").exists() and not self.reaped(key):
                time.sleep(0.2)
            if pathlib.Path(f"/proc/{pid}").exists() and not self.reaped(key):
                try:
                    os.killpg(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        for n in self.state["nodes"]:
            pid_file = self.root / n["name"] / "postmaster.pid"
            if pid_file.exists():
                subprocess.run(["runuser", "-u", "postgres", "--", str(pg_bin() / "pg_ctl"), "-D", str(self.root / n["name"]),
                                "-m", "immediate", "stop"], capture_output=True)
        self.state["pids"] = {}
        self.save()

    def reaped(self, key):
        proc = self.procs.get(key)
        return proc is not None and proc.poll() is not None

    # ---- what is happening

    def members(self):
        """Patroni's view of the cluster, from any node that answers."""
        for n in self.state["nodes"]:
            status, body = rest(n["rest"], "/cluster")
            if status == 200:
                return body.get("members", [])
        return []

    def leader(self):
        return next((m["name"] for m in self.members() if m.get("role") == "leader"), None)

    def synchronous(self):
        """The node that is the leader's synchronous standby and streams (None: none)."""
        return next((m["name"] for m in self.members() if m.get("role") == "sync_standby" and m.get("state") in
                     ("streaming", "running")), None)

    def wait_synchronous(self, seconds):
        self.wait(lambda: self.leader() and self.synchronous(), seconds, "có máy chính và bản sao đồng bộ")

    def writable(self):
        """HAProxy's primary port reaches a PostgreSQL that takes writes."""
        done = subprocess.run([str(pg_bin() / "psql"), "-h", "127.0.0.1", "-p", str(self.state["primary"]), "-U", "postgres",
                               "-At", "-c", "SELECT NOT pg_is_in_recovery()"], capture_output=True, text=True, timeout=10)
        return done.returncode == 0 and done.stdout.strip() == "t"

    @staticmethod
    def wait(condition, seconds, what):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.5)
        raise RuntimeError(f"chờ quá {seconds} s mà chưa: {what}")

    # ---- faults

    def kill(self, name):
        """The node's machine dies: Patroni and its PostgreSQL (every process of it) killed with SIGKILL."""
        victims = []
        pid = self.state["pids"].get(name)
        if pid:
            victims += [pid] + descendants(pid)
        pid_file = self.root / name / "postmaster.pid"
        if pid_file.exists():
            postmaster = int(pid_file.read_text().split()[0])
            victims += [postmaster] + descendants(postmaster)
        for v in victims:
            try:
                os.kill(v, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if name in self.procs:
            self.procs[name].wait(timeout=10)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("action", choices=["start", "stop", "status"])
    ap.add_argument("--dir", required=True, help="thư mục của cụm (dữ liệu, cấu hình, nhật ký)")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("Chạy bằng root: PostgreSQL và Patroni chạy dưới người dùng postgres.")
    pwd.getpwnam("postgres")
    cluster = HACluster(args.dir)
    if args.action == "start":
        cluster.start()
        subprocess.run([str(pg_bin() / "createdb"), "-h", "127.0.0.1", "-p", str(cluster.state["primary"]), "-U", "postgres", "kpi"],
                       check=False)
        print(f"DATABASE_URL={cluster.url}/kpi?tlsmode=disable")
        print(f"KPI_READ_DATABASE_URL={cluster.replica_url}/kpi?tlsmode=disable")
        print(f"máy chính: {cluster.leader()}, bản sao đồng bộ: {cluster.synchronous()}")
    elif args.action == "status":
        for m in cluster.members():
            print(f"{m.get('name')}\t{m.get('role')}\t{m.get('state')}\tchậm {m.get('lag', 0)}")
    else:
        cluster.stop()


if __name__ == "__main__":
    main()
