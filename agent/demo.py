"""``followup-agent demo``: the whole job on a generated sample mailbox.

It writes a realistic Maildir (several companies at different stages, an
out-of-office, a rejection, a job-alert digest, a newsletter, an automatic
acknowledgement and personal mail) into a temporary folder, then polls at a
few simulated times and prints what it drafted, why, and where.
"""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from agent.actions import Create
from agent.app import run_poll
from agent.config import load_config
from agent.samples import deliver, ics, make_maildir, message
from agent.status_text import write_table

NY = ZoneInfo("America/New_York")
ME = "Jordan Lee <jordan.lee@gmail.com>"


def _t(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=NY)


def build_sample(root: Path) -> Path:
    """Write the sample mailbox and its config under ``root``; return the config path."""
    inbox, sent, drafts = (make_maildir(root / "Mail" / n) for n in ("INBOX", "Sent", "Drafts"))

    # Acme Robotics: calendar invitation for Mon Nov 30, 14:00-15:00; no thank-you yet.
    inv = ics("Interview: Jordan Lee / Acme Robotics (Senior Platform Engineer)", _t(11, 30, 14),
              _t(11, 30, 15), organizer="ann.park@acmerobotics.com", attendee="jordan.lee@gmail.com")
    deliver(inbox, message("Ann Park <ann.park@acmerobotics.com>", ME,
                           "Interview for the Senior Platform Engineer role",
                           "Hi Jordan,\n\nThanks for making time to meet the team. The invitation for "
                           "Monday is attached. We hope to make a decision by December 11.\n\nAnn",
                           _t(11, 23, 11), "acme-1@acmerobotics.com", calendar=inv))

    # Globex: interviewed Nov 16, thanked the same day; "by the end of the month".
    deliver(inbox, message("Sam Rivera <sam.rivera@globex.com>", ME, "Globex interview - Data Engineer",
                           "Hi Jordan,\n\nConfirming your interview on Monday, November 16 at 10:00 AM ET "
                           "with our data team.\n\nSam", _t(11, 10, 9), "globex-1@globex.com"))
    deliver(sent, message(ME, "Sam Rivera <sam.rivera@globex.com>", "Re: Globex interview - Data Engineer",
                          "Hi Sam,\n\nThank you for today's conversation.\n\nJordan",
                          _t(11, 16, 15), "me-globex-2@gmail.com", in_reply_to="globex-1@globex.com"))
    deliver(inbox, message("Sam Rivera <sam.rivera@globex.com>", ME, "Re: Globex interview - Data Engineer",
                           "Thanks Jordan! We hope to decide by the end of the month.\n\nSam",
                           _t(11, 17, 10), "globex-3@globex.com", in_reply_to="me-globex-2@gmail.com",
                           references=("globex-1@globex.com", "me-globex-2@gmail.com")))
    deliver(sent, message(ME, "Sam Rivera <sam.rivera@globex.com>", "Re: Globex interview - Data Engineer",
                          "Sounds great, thank you Sam.\n\nJordan", _t(11, 17, 12), "me-globex-4@gmail.com",
                          in_reply_to="globex-3@globex.com",
                          references=("globex-1@globex.com", "me-globex-2@gmail.com", "globex-3@globex.com")))

    # Initech: interview Nov 9, thank-you, first follow-up Nov 24, then an out-of-office.
    deliver(inbox, message("Priya Shah <priya@initech.io>", ME, "Onsite interview at Initech",
                           "Hi Jordan, your onsite interview is confirmed for November 9 at 1:00 PM ET.\n\nPriya",
                           _t(11, 2, 9), "initech-1@initech.io"))
    deliver(sent, message(ME, "Priya Shah <priya@initech.io>", "Re: Onsite interview at Initech",
                          "Hi Priya, thank you for hosting me today.\n\nJordan", _t(11, 9, 17),
                          "me-initech-2@gmail.com", in_reply_to="initech-1@initech.io"))
    deliver(sent, message(ME, "Priya Shah <priya@initech.io>", "Re: Onsite interview at Initech",
                          "Hi Priya, I wanted to check in on next steps.\n\nJordan", _t(11, 24, 10),
                          "me-initech-3@gmail.com", in_reply_to="me-initech-2@gmail.com",
                          references=("initech-1@initech.io", "me-initech-2@gmail.com")))
    deliver(inbox, message("Priya Shah <priya@initech.io>", ME, "Automatic reply: Re: Onsite interview at Initech",
                           "I am out of the office and will be back on December 9. For urgent matters "
                           "contact recruiting@initech.io.", _t(11, 24, 10, 1), "initech-ooo@initech.io",
                           in_reply_to="me-initech-3@gmail.com", headers={"Auto-Submitted": "auto-replied"}))

    # Hooli: a rejection after the interview.
    deliver(inbox, message("Gavin B <talent@hooli.com>", ME, "Your interview with Hooli",
                           "Hi Jordan, your phone screen is confirmed for November 12 at 3:00 PM ET.",
                           _t(11, 5, 9), "hooli-1@hooli.com"))
    deliver(inbox, message("Gavin B <talent@hooli.com>", ME, "Re: Your interview with Hooli",
                           "Hi Jordan, thank you for your time. Unfortunately, we have decided to move "
                           "forward with other candidates.", _t(11, 20, 9), "hooli-2@hooli.com",
                           in_reply_to="hooli-1@hooli.com"))

    # Noise: job alert, newsletter, acknowledgement, personal.
    deliver(inbox, message("LinkedIn Job Alerts <jobalerts-noreply@linkedin.com>", ME,
                           "30 new jobs for 'platform engineer'", "New jobs match your search.",
                           _t(11, 25, 7), "alert-1@linkedin.com",
                           headers={"List-Unsubscribe": "<https://www.linkedin.com/unsub>"}))
    deliver(inbox, message("Weekly Dev News <news@devweekly.io>", ME, "This week in platform engineering",
                           "Top stories this week.", _t(11, 24, 8), "news-1@devweekly.io",
                           headers={"List-Id": "Dev Weekly <weekly.devweekly.io>"}))
    deliver(inbox, message("Umbrella Careers <no-reply@greenhouse.io>", ME,
                           "Thank you for applying to Umbrella", "We have received your application for the "
                           "Site Reliability Engineer role. We will review it soon.", _t(11, 21, 12),
                           "ack-1@greenhouse.io", headers={"Auto-Submitted": "auto-generated"}))
    deliver(inbox, message("Mom <mom.lee@yahoo.com>", ME, "Dinner on Sunday?",
                           "Are you coming for dinner on Sunday?", _t(11, 22, 18), "mom-1@yahoo.com"))

    state = root / "state" / "state.db"
    cfg = root / "config.toml"
    cfg.write_text(
        "[account]\n"
        'name = "Jordan Lee"\n'
        'addresses = ["jordan.lee@gmail.com"]\n'
        'timezone = "America/New_York"\n\n'
        "[mailbox]\n"
        'backend = "maildir"\n\n'
        "[maildir]\n"
        f'inbox = "{inbox}"\nsent = "{sent}"\ndrafts = "{drafts}"\n\n'
        "[schedule]\n"
        'holidays = "US"\n\n'
        "[state]\n"
        f'path = "{state}"\n'
    )
    return cfg


DEMO_TIMES = (_t(12, 1, 10), _t(12, 8, 10), _t(12, 10, 10))


def _between_polls(root: Path, now: datetime) -> str | None:
    """Mail that arrives between the simulated polls."""
    if now == DEMO_TIMES[2]:
        deliver(root / "Mail" / "INBOX", message(
            "Sam Rivera <sam.rivera@globex.com>", ME, "Re: Globex interview - Data Engineer",
            "Hi Jordan, sorry for the delay! We are wrapping up this week and will be in touch by "
            "December 18.\n\nSam", _t(12, 9, 16), "globex-5@globex.com", in_reply_to="me-globex-4@gmail.com",
            references=("globex-1@globex.com", "me-globex-4@gmail.com")))
        return "Sam at Globex answered on Dec 9 (before you sent the follow-up)."
    return None


def run_demo(out: TextIO, keep: Path | None = None) -> int:
    """Build the sample mailbox, poll it at each of :data:`DEMO_TIMES`, print what happened."""
    root = keep or Path(tempfile.mkdtemp(prefix="followup-demo-"))
    root.mkdir(parents=True, exist_ok=True)
    cfg_path = build_sample(root)
    config = load_config(cfg_path)
    out.write(f"Sample mailbox: {root / 'Mail'} (config {cfg_path})\n")
    out.write("The agent never sends: it only writes drafts into the Drafts folder.\n")
    for now in DEMO_TIMES:
        out.write(f"\n=== Poll at {now:%a %b %-d %Y %H:%M %Z} ===\n")
        news = _between_polls(root, now)
        if news:
            out.write(f"(meanwhile: {news})\n")
        result = run_poll(config, now, dry_run=False, notify=False)  # a sample: no desktop notices
        for a in result.plan:
            if isinstance(a, Create):
                out.write(f"drafted {a.step} to {a.to} ({a.draft.subject})\n  why: {a.reason}\n")
                for line in a.draft.body.splitlines():
                    out.write(f"    | {line}\n")
            else:
                out.write(f"{a.kind} {a.step or ''} [{a.conversation}]: {a.reason}\n")
        if not result.plan:
            out.write("nothing due\n")
        out.write("\nStatus:\n")
        write_table(result.status, out)
    drafts = sorted((root / "Mail" / "Drafts" / "cur").iterdir())
    out.write(f"\n{len(drafts)} draft(s) in {root / 'Mail' / 'Drafts'}:\n")
    for d in drafts:
        out.write(f"  {d}\n")
    return 0
