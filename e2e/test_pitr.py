"""Continuous WAL archiving and a restore to a point in time (issue 21, item 4), with pgBackRest (Debian) and the
project's own configuration (deploy/pgbackrest/pgbackrest.conf): a PostgreSQL cluster of this module's own archives
every WAL segment; two processes behind nginx serve API clients giving work with evidence; after a full backup and a
minute's worth of work, a mistaken statement destroys a table; the cluster is restored to the moment before it:
every task and file acknowledged before is there, once, the table is back, and `kpi verify-audit` passes (conftest)."""
import os
import pathlib
import shutil
import string
import subprocess
import time

import pytest

from apiload import Load, as_postgres, client, database, fresh_postgres, psql
from conftest import cluster_postgres

CLUSTER = True
HERE = pathlib.Path(__file__).resolve().parent


@pytest.fixture(scope="module", autouse=True)
def archived():
    """A PostgreSQL cluster archiving its WAL to a pgBackRest repository; the module's processes use it."""
    if not shutil.which("pgbackrest"):
        if os.environ.get("KPI_E2E_REQUIRE_HA") == "1":
            pytest.fail("needs pgbackrest (Debian; scripts/setup-tools.sh)")
        pytest.skip("needs pgbackrest (Debian; scripts/setup-tools.sh)")
    with fresh_postgres("""
archive_mode = on
archive_command = 'pgbackrest --config={root}/pgbackrest.conf --stanza=kpi archive-push %p'
archive_timeout = 60
""") as pg:
        root = pg["root"]
        conf = root / "pgbackrest.conf"
        conf.write_text(string.Template((HERE.parent / "deploy" / "pgbackrest" / "pgbackrest.conf").read_text()).substitute(
            repo=root / "kho", cipher_pass="chi-dung-cho-kiem-thu-" + os.urandom(8).hex(), log_path=root, lock_path=root,
            data_dir=pg["data"], port=pg["port"], socket_dir=root))
        (root / "kho").mkdir()
        for path in (conf, root / "kho"):
            shutil.chown(path, "postgres", "postgres")
        backrest(pg, "stanza-create")
        backrest(pg, "check")
        with cluster_postgres(pg["url"]):
            yield pg


def backrest(pg, *args):
    return as_postgres("pgbackrest", f"--config={pg['root'] / 'pgbackrest.conf'}", "--stanza=kpi", *args)


def test_a_disaster_is_undone_by_a_restore_to_the_moment_before(archived):
    backrest(archived, "backup", "--type=full")
    token, pairs = client("pitr")
    with Load(token, pairs, tag="pitr") as load:
        time.sleep(6)
    assert not load.problems, load.problems[:5]
    [[target]] = psql("SELECT now()", database())
    tables = psql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", database())
    time.sleep(1.2)
    # The disaster: a mistaken statement drops the evidence of every task; work goes on after it for a moment.
    psql("DROP TABLE evidence CASCADE", database())
    psql("SELECT pg_switch_wal()", database())
    backrest(archived, "check")
    started = time.monotonic()
    as_postgres(archived["pg_bin"] / "pg_ctl", "-D", archived["data"], "-m", "fast", "-w", "stop")
    backrest(archived, "restore", "--delta", "--type=time", f"--target={target}", "--target-action=promote")
    as_postgres(archived["pg_bin"] / "pg_ctl", "-D", archived["data"], "-l", archived["root"] / "pg.log", "-w", "start")
    for _ in range(120):
        try:
            if psql("SELECT pg_is_in_recovery()", "postgres") == [["f"]]:
                break
        except subprocess.CalledProcessError:
            pass
        time.sleep(0.5)
    restored = time.monotonic() - started
    assert psql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", database()) == tables
    load.check_database()
    print(f"Khôi phục về {target}: {len(load.tasks)} nhiệm vụ, {len(load.files)} tệp đã xác nhận còn đủ, bảng bị xóa trở lại; "
          f"dừng, khôi phục và chạy lại mất {restored:.1f} s")
