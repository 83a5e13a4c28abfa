"""``followup-agent pipeline``: every stage reached by a known job search (tests/pipeline_mail.py),
read from the state alone, on Maildir and on a real Dovecot; CSV parsed back, JSON's keys."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from agent.pipeline import role_of, rows
from agent.report_table import COLUMNS
from agent.store import SCHEMA_VERSION, Store
from tests.dovecot import DovecotUser
from tests.helpers import make_config
from tests.pipeline_mail import NOW, deliver_all
from tests.scenario_runner import Harness, MaildirHarness, run_cli_in_process, write_config
from tests.test_scenarios_imap import ImapHarness

#: (company, role, stage, round, first contact, last company, last user, interviews, days to reply,
#: rejected after round): what the mail says, worked out by hand.
EXPECTED = [
    ("Initech", "Staff Engineer", "interviewing", 2, "2026-10-19T10:00:00-04:00", "2026-11-27T10:00:00-05:00",
     "2026-10-28T17:00:00-04:00", ["2026-10-28T14:00:00-04:00"], 3.0, None),
    ("Acme Analytics", "Data Analyst", "applied", None, "2026-11-25T10:00:00-05:00", "2026-11-25T11:00:00-05:00",
     "2026-11-25T10:00:00-05:00", [], None, None),
    ("Northwind", "Senior Backend Engineer", "contacted", None, "2026-11-24T10:00:00-05:00",
     "2026-11-24T10:00:00-05:00", "2026-11-25T10:00:00-05:00", [], None, None),
    ("Globex", "Product Designer", "screening", None, "2026-11-16T10:00:00-05:00", "2026-11-18T10:00:00-05:00",
     "2026-11-16T10:00:00-05:00", [], 2.0, None),
    ("Umbrella", "Platform Engineer", "offer", None, "2026-10-26T10:00:00-04:00", "2026-11-18T10:00:00-05:00",
     "2026-11-10T17:00:00-05:00", ["2026-11-10T14:00:00-05:00"], 4.0, None),
    ("Hooli", "Site Reliability Engineer", "rejected", None, "2026-10-12T10:00:00-04:00",
     "2026-11-12T10:00:00-05:00", "2026-11-05T17:00:00-05:00", ["2026-11-05T14:00:00-05:00"], 7.0, 1),
    ("Vandelay", "Sales Engineer", "withdrew", None, "2026-11-02T10:00:00-05:00", "2026-11-05T10:00:00-05:00",
     "2026-11-09T10:00:00-05:00", [], 3.0, None),
    ("Soylent", "QA Engineer", "moved on", None, "2026-09-01T10:00:00-04:00", "2026-09-04T10:00:00-04:00",
     "2026-09-30T10:00:00-04:00", ["2026-09-09T14:00:00-04:00"], 2.0, None),
]


def polled(harness: Harness, tmp: Path) -> Path:
    """The search delivered, polled once, the unanswered application marked as the user's (as the
    review queue asks), and polled again; the config's path."""
    deliver_all(harness)
    cfg = write_config(tmp / "config.toml", harness, tmp / "state.db", {})
    run_cli_in_process(cfg, "poll", "--once", "--now", NOW.isoformat())
    run_cli_in_process(cfg, "mark", "Data Analyst", "recruiting", "--now", NOW.isoformat())
    run_cli_in_process(cfg, "poll", "--once", "--now", NOW.isoformat())
    return cfg


@pytest.fixture(scope="module")
def maildir_search(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("search")
    return polled(MaildirHarness(tmp), tmp)


def _facts(obj: dict[str, object]) -> tuple[object, ...]:
    return (obj["company"], obj["role"], obj["stage"], obj["round"], obj["first_contact"],
            obj["last_company_message"], obj["last_user_message"], obj["interview_dates"],
            obj["days_to_first_reply"], obj["rejected_after_round"])


def test_every_stage_with_its_dates_as_json(maildir_search: Path) -> None:
    got = json.loads(run_cli_in_process(maildir_search, "pipeline", "--json", "--now", NOW.isoformat()))
    assert [_facts(o) for o in got] == [tuple(e) for e in EXPECTED]
    for o in got:
        assert list(o) == list(COLUMNS)  # stable keys, in order
        assert o["interviews_held"] == len(o["interview_dates"])
        assert o["conversation"].startswith("c-") and o["subject"]
        assert o["next_step"] is None and o["next_due"] is None  # nothing is owed on Dec 1 in this search


def test_csv_is_rfc_4180_and_reads_back(maildir_search: Path) -> None:
    text = run_cli_in_process(maildir_search, "pipeline", "--csv", "--now", NOW.isoformat())
    assert text.endswith("\r\n") and text.count("\r\n") == len(EXPECTED) + 1
    table = list(csv.reader(io.StringIO(text, newline="")))
    assert table[0] == list(COLUMNS)
    col = {c: i for i, c in enumerate(COLUMNS)}
    assert [(r[col["company"]], r[col["stage"]], r[col["round"]], r[col["rejected_after_round"]])
            for r in table[1:]] == [(e[0], e[2], "" if e[3] is None else str(e[3]), "" if e[9] is None else str(e[9]))
                                    for e in EXPECTED]
    assert table[1][col["interview_dates"]] == "2026-10-28T14:00:00-04:00"


def test_since_filters_by_last_activity(maildir_search: Path) -> None:
    got = json.loads(run_cli_in_process(maildir_search, "pipeline", "--json", "--since", "2026-11-18",
                                        "--now", NOW.isoformat()))
    assert [o["company"] for o in got] == ["Initech", "Acme Analytics", "Northwind", "Globex", "Umbrella"]


def test_the_text_table(maildir_search: Path) -> None:
    text = run_cli_in_process(maildir_search, "pipeline", "--now", NOW.isoformat())
    lines = text.splitlines()
    assert lines[0].split() == ["COMPANY", "ROLE", "STAGE", "FIRST", "LAST", "THEM", "LAST", "YOU", "INT", "REPLY",
                                "NEXT"]
    assert "interviewing (round 2)" in lines[1] and "rejected (after round 1)" in text
    assert lines[-1] == "8 conversations."


def test_later_the_second_interview_is_held(maildir_search: Path) -> None:
    """The stage is worked out when asked: after Dec 3 the Initech round 2 interview counts as held."""
    later = (NOW + timedelta(days=3)).isoformat()
    got = json.loads(run_cli_in_process(maildir_search, "pipeline", "--json", "--now", later))
    assert (got[0]["company"], got[0]["round"], got[0]["interviews_held"]) == ("Initech", 2, 2)


@pytest.mark.slow
def test_the_same_rows_on_dovecot(dovecot_user: DovecotUser, tmp_path: Path) -> None:
    """pipeline reads only the state, so an IMAP mailbox gives the very same rows."""
    cfg = polled(ImapHarness(dovecot_user), tmp_path)
    got = json.loads(run_cli_in_process(cfg, "pipeline", "--json", "--now", NOW.isoformat()))
    assert [_facts(o) for o in got] == [tuple(e) for e in EXPECTED]


def test_pipeline_never_opens_the_mailbox(maildir_search: Path, tmp_path: Path) -> None:
    """Pointed at an empty mailbox, the rows still come, all of them: from the state."""
    MaildirHarness(tmp_path)
    cfg = tmp_path / "config.toml"
    cfg.write_text(maildir_search.read_text().replace(str(maildir_search.parent / "Mail"), str(tmp_path / "Mail")))
    got = json.loads(run_cli_in_process(cfg, "pipeline", "--json", "--now", NOW.isoformat()))
    assert len(got) == len(EXPECTED)


def test_the_next_step_and_its_due_time_come_from_the_record() -> None:
    rec = {"conversation": "c-1", "subject": "Interview: Data Engineer", "company": "Zeta", "role": "Data Engineer",
           "state": "open", "interviews": [{"start": "2026-11-30T19:00:00+00:00", "end": "2026-11-30T20:00:00+00:00",
                                            "summary": ""}],
           "messages": [{"at": "2026-11-20T15:00:00+00:00", "from": "company", "auto": False}],
           "outcomes": [], "next": {"kind": "thank_you", "due": "2026-11-30T21:00:00+00:00"}}
    config = make_config()
    (row,) = rows([rec], NOW, config)
    assert (row.stage, row.round, row.next_step) == ("interviewing", 1, "thank_you")
    assert row.next_due == datetime.fromisoformat("2026-11-30T16:00:00-05:00")
    assert row.days_to_first_reply is None and not row.user_started  # the company wrote first


@pytest.mark.parametrize(("subject", "role"), [
    ("Re: Application for Senior Backend Engineer (Remote) at Acme", "Senior Backend Engineer (Remote"),
    ("Interview: Staff Engineer - Acme", "Staff Engineer"),
    ("Product Designer – Globex", "Product Designer"),
    ("Data Scientist role", "Data Scientist"),
    ("Quick question", ""),
    ("Lunch on Friday?", ""),
])
def test_role_from_the_subject(subject: str, role: str) -> None:
    assert role_of(subject) == role


def test_an_older_state_gains_the_pipeline_table(tmp_path: Path) -> None:
    """Schema 5 adds the table; a state at version 4 is migrated and its records start empty."""
    from agent.store_schema import MIGRATIONS

    path = tmp_path / "state.db"
    con = sqlite3.connect(path)
    for step in MIGRATIONS[:4]:
        step(con)
    con.execute("PRAGMA user_version = 4")
    con.commit()
    con.close()
    with Store.open(path) as store:
        assert store.schema_version == SCHEMA_VERSION and store.load_pipeline() == []
        store.save_pipeline([{"conversation": "c-1", "x": 1}])
        store.save_pipeline([{"conversation": "c-2", "x": 2}])  # each poll replaces the set
        assert store.load_pipeline() == [{"conversation": "c-2", "x": 2}]
