"""How ``state_v3.sql`` was made: the real agent at schema v3 (commit c0a4b9e), on the Gmail stand-in.

Kept as the record of the fixture, not as a test: it ran once, against the v3
code, and does not run against a later schema (the point of the fixture is
that no code of today wrote it). ``tests/test_store_migration.py`` loads the
dump and migrates it.

The story it plays (``gmail.labels = true``, so every cache v3 kept in its
``meta`` table is there: the cursor, the parser's format, the candidates, the
labels the agent set, the drafts described, the facts and tracking verdicts,
the server's aliases, the snapshot):

* Acme: an interview on Dec 1 that the user confirmed; the thank-you draft is
  written at 16:05 and the user deletes it (``user_deleted``), and leaves a note.
* Globex: an interview on Nov 20 with the user's thank-you sent; its follow-up
  is written, then the user pauses it and the draft is withdrawn.
* Initech: a recruiter asking for times; the user marks an interview held and
  a decision date, and snoozes it.
* Sam: a personal mail the user marks as not recruiting.
* Umbrella: an invitation the agent is unsure of ("possible", in the review queue).
* Hooli: an interview on Dec 2 whose thank-you is written at noon and waits in
  Drafts (its messages labelled ``Follow-up/Queued``).

    .venv/bin/python tests/data/make_state_v3.py tests/data/state_v3.sql   # at commit c0a4b9e
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from agent.samples import ics, message
from tests.gmail_server import GmailHarness, fake_gmail
from tests.helpers import t
from tests.scenario_runner import run_cli_in_process as cli
from tests.scenario_runner import write_config

ME = "Jordan Lee <jordan.lee@gmail.com>"
ANN = "Ann Park <ann.park@acme.com>"
BO = "Bo Chen <bo.chen@globex.com>"
IRA = "Ira Gold <ira.gold@initech.com>"
UMA = "Uma Reyes <uma.reyes@umbrella.com>"
HAL = "Hal Moss <hal.moss@hooli.com>"


def _mail(h: GmailHarness) -> None:
    inv = ics("Interview: Jordan Lee / Acme", t(12, 1, 13), t(12, 1, 14), organizer="ann.park@acme.com",
              attendee="jordan.lee@gmail.com")
    h.deliver("inbox", message(ANN, ME, "Interview for the Platform Engineer role",
                               "Hi Jordan, the invitation is attached. We hope to decide by the end of "
                               "the month.\n\nAnn", t(11, 24, 9), "acme-1@acme.com", calendar=inv))
    h.deliver("sent", message(ME, ANN, "Re: Interview for the Platform Engineer role",
                              "Thanks Ann, see you then.", t(11, 24, 11), "me-1@gmail.com",
                              in_reply_to="acme-1@acme.com"))
    inv = ics("Interview: Jordan Lee / Globex", t(11, 20, 10), t(11, 20, 11), organizer="bo.chen@globex.com",
              attendee="jordan.lee@gmail.com")
    h.deliver("inbox", message(BO, ME, "Globex interview: Data Engineer", "See you on Friday.\n\nBo",
                               t(11, 17, 9), "globex-1@globex.com", calendar=inv))
    h.deliver("sent", message(ME, BO, "Re: Globex interview: Data Engineer",
                              "Thank you for your time today, Bo.", t(11, 20, 15), "me-2@gmail.com",
                              in_reply_to="globex-1@globex.com"))
    h.deliver("inbox", message(IRA, ME, "Interview for the Backend Engineer role at Initech",
                               "Hi Jordan, could we find a time for an interview next week?\n\nIra",
                               t(11, 23, 10), "initech-1@initech.com"))
    h.deliver("sent", message(ME, IRA, "Re: Interview for the Backend Engineer role at Initech",
                              "Tuesday afternoon works for me.", t(11, 23, 12), "me-3@gmail.com",
                              in_reply_to="initech-1@initech.com"))
    h.deliver("inbox", message("Sam <sam.friend@yahoo.com>", ME, "Interview tips?",
                               "Any advice for my interview on Friday?", t(11, 24, 9), "sam-1@yahoo.com"))
    inv = ics("Interview: Jordan Lee / Umbrella", t(12, 1, 15), t(12, 1, 16), organizer="uma.reyes@umbrella.com",
              attendee="jordan.lee@gmail.com")
    h.deliver("inbox", message(UMA, ME, "Umbrella: your interview", "Looking forward to it.\n\nUma",
                               t(11, 25, 9), "umbrella-1@umbrella.com", calendar=inv))
    inv = ics("Interview: Jordan Lee / Hooli", t(12, 2, 9), t(12, 2, 10), organizer="hal.moss@hooli.com",
              attendee="jordan.lee@gmail.com")
    h.deliver("inbox", message(HAL, ME, "Interview for the Site Reliability Engineer role",
                               "Hi Jordan, the invitation is attached.\n\nHal", t(11, 26, 9),
                               "hooli-1@hooli.com", calendar=inv))
    h.deliver("sent", message(ME, HAL, "Re: Interview for the Site Reliability Engineer role",
                              "Thanks Hal, see you then.", t(11, 26, 11), "me-4@gmail.com",
                              in_reply_to="hooli-1@hooli.com"))


def main(out: Path) -> None:
    with fake_gmail() as gmail, tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        h = GmailHarness(gmail, root)
        _mail(h)
        db = root / "state" / "state.db"
        cfg = write_config(root / "config.toml", h, db, {"gmail": {"labels": True}})
        print(cli(cfg, "poll", "--once", "--now", "2026-12-01T16:05:00-05:00"))
        acme_draft = next(d for d, m in gmail.draft_messages().items() if b"acme" in m.raw.lower())
        gmail.user_delete_draft(acme_draft)
        print(cli(cfg, "poll", "--once", "--now", "2026-12-01T16:10:00-05:00"))
        cli(cfg, "pause", "Globex", "--now", "2026-12-01T16:11:00-05:00")
        cli(cfg, "mark", "Initech", "interviewed", "--at", "2026-11-30T14:00:00-05:00",
            "--now", "2026-12-01T16:12:00-05:00")
        cli(cfg, "mark", "Initech", "timeline", "--by", "2026-12-18", "--now", "2026-12-01T16:13:00-05:00")
        cli(cfg, "snooze", "Initech", "--until", "2026-12-08", "--now", "2026-12-01T16:14:00-05:00")
        cli(cfg, "note", "Acme", "I enjoyed meeting the platform team.", "--now", "2026-12-01T16:15:00-05:00")
        cli(cfg, "mark", "Interview tips", "not-recruiting", "--now", "2026-12-01T16:16:00-05:00")
        print(cli(cfg, "poll", "--once", "--now", "2026-12-01T18:05:00-05:00"))
        print(cli(cfg, "poll", "--once", "--now", "2026-12-02T12:00:00-05:00"))
        print(cli(cfg, "poll", "--once", "--now", "2026-12-02T12:30:00-05:00"))  # describes the new draft
        con = sqlite3.connect(db)
        assert con.execute("PRAGMA user_version").fetchone()[0] == 3
        lines = ["-- A state database written by followup-agent at schema v3 (commit c0a4b9e):",
                 "-- made by tests/data/make_state_v3.py; loaded by tests/test_store_migration.py.",
                 "PRAGMA user_version = 3;", *con.iterdump()]
        con.close()
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
