"""``python -m video_bank seed-demo`` creates the demo customers, prints their ids, and resets them when
run again."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

from video_bank.core_banking import demo

ROOT = Path(__file__).resolve().parents[2]


def seed(data_dir: Path) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIDEO_BANK_")}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "video_bank",
            "seed-demo",
            "--data-dir",
            str(data_dir),
            "--password",
            "pw-for-tests",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def query(data_dir: Path, sql: str) -> list[tuple[object, ...]]:
    with closing(sqlite3.connect(data_dir / "video_bank.sqlite3")) as db:
        return db.execute(sql).fetchall()


def test_seed_demo_creates_the_demo_customers_and_prints_their_ids(tmp_path: Path) -> None:
    out = seed(tmp_path)
    for customer in (demo.PENSIONER, demo.ACCOUNT_HOLDER, demo.LEGAL_REP):
        line = next(line for line in out.splitlines() if customer.id in line)
        assert customer.resident_id.number in line and customer.name in line
    assert "reference enroll" in out
    assert demo.PENSIONER_CARD.number not in out and demo.DEBIT_ACCOUNT_NUMBER not in out
    assert query(tmp_path, "SELECT id, birth_date FROM core_customers ORDER BY id") == [
        ("cus_demo_account", "1986-11-03"),
        ("cus_demo_corporate", "1979-04-21"),
        ("cus_demo_pensioner", "1953-06-12"),
    ]
    assert query(tmp_path, "SELECT id, status, review FROM core_social_security_cards ORDER BY id") == [
        ("ssc_demo_field", "issued", "pending"),
        ("ssc_demo_pensioner", "issued", "not_required"),
    ]
    assert query(tmp_path, "SELECT status FROM core_debit_accounts") == [("locked",)]
    assert query(tmp_path, "SELECT legal_rep, status FROM core_corporate_applications") == [
        (demo.LEGAL_REP.resident_id.number, "pending")
    ]


def test_seeding_again_resets_the_demo_customers(tmp_path: Path) -> None:
    seed(tmp_path)
    with closing(sqlite3.connect(tmp_path / "video_bank.sqlite3")) as db:
        db.execute("UPDATE core_social_security_cards SET status='active', pin_hash='scrypt$x'")
        db.commit()
    seed(tmp_path)
    assert query(
        tmp_path, "SELECT status, pin_hash FROM core_social_security_cards WHERE id='ssc_demo_pensioner'"
    ) == [("issued", None)]
    assert query(tmp_path, "SELECT count(*) FROM core_customers") == [(3,)]
