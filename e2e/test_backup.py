"""`kpi backup` under load and `kpi restore` into a fresh cluster (issue 21, backups): while API clients
create tasks and upload evidence through nginx to two processes, a backup is taken; every write the
system acknowledged is in the live database exactly once; the archive restores into a new PostgreSQL cluster and
data folder, whose every table matches the copy's snapshot (counted and summed by `kpi restore`), whose
audit chain verifies, and whose evidence files are byte-identical to the originals; a tampered archive and
a wrong key are refused without writing anything."""
import hashlib
import os
import time

from apiload import Load, as_postgres, client, createdb, database, dropdb, fresh_postgres, kpi, psql
from conftest import SERVER

CLUSTER = True


def test_a_backup_taken_under_load_restores_exactly(tmp_path):
    env = SERVER["env"]
    source = database()
    token, pairs = client("sao-luu-tai")
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
    load.check_database()

    # Restored on a new PostgreSQL cluster (another machine) into a new data folder: kpi restore compares every
    # table with the copy.
    with fresh_postgres() as pg:
        target = "kpi"
        as_postgres(pg["pg_bin"] / "createdb", "-h", "127.0.0.1", "-p", pg["port"], "-U", "postgres", target)
        renv = dict(benv, DATABASE_URL=f"{pg['url']}/{target}?tlsmode=disable", KPI_DATA_DIR=str(tmp_path / "khoi-phuc"))
        restored = kpi(["restore", "--file", str(archive)], renv)
        assert "Khớp" in restored.stdout and "toàn vẹn" in restored.stdout, restored.stdout
        kpi(["verify-audit"], renv)
        back = {r[0] for r in psql("SELECT code FROM tasks", target, port=pg["port"])}
        assert set(before) <= back, "a task acknowledged before the backup began is missing"
        for sha, in psql("SELECT DISTINCT sha256 FROM evidence WHERE kind = 'tep'", target, port=pg["port"]):
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
            tenv = dict(renv, DATABASE_URL=env["DATABASE_URL"].replace(f"/{source}?", f"/{third}?"), KPI_DATA_DIR=str(tmp_path / "hong"))
            refused = kpi(["restore", "--file", str(spoiled)], tenv, check=False)
            assert refused.returncode == 1 and "bị sửa" in refused.stdout + refused.stderr, refused.stdout + refused.stderr
            wrong = kpi(["restore", "--file", str(archive)], dict(tenv, KPI_BACKUP_KEY=kpi(["backup", "--generate-key"], env)
                                                                         .stdout.strip()), check=False)
            assert wrong.returncode == 1 and "Khóa sao lưu không đúng" in wrong.stdout + wrong.stderr
            assert psql("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'", third) == [["0"]]
        finally:
            dropdb(third)
