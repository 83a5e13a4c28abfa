"""Benchmark: one poll over a 20,000-message Maildir, cold and warm.

Prints figures; asserts nothing (speed is measured here, never in tests).

    python bench/poll_maildir.py [--messages 20000] [--keep DIR]

The mailbox is mostly what a real one holds: newsletters and job alerts,
personal mail, work threads, and a few dozen recruiting conversations. Each
figure is the wall time of the real command (`followup-agent poll --once`)
in a fresh process, so it includes interpreter start-up; the in-process
engine time is printed beside it.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agent.samples import deliver, ics, make_maildir, message

NY = ZoneInfo("America/New_York")
ME = "Jordan Lee <jordan.lee@gmail.com>"
START = datetime(2026, 6, 1, 9, tzinfo=NY)


def build(root: Path, total: int, seed: int = 7) -> Path:
    rnd = random.Random(seed)
    inbox, sent, drafts = (make_maildir(root / n) for n in ("INBOX", "Sent", "Drafts"))
    n = 0
    companies = [f"company{i}" for i in range(60)]
    # recruiting conversations: invitation, thank-you, maybe a reply
    for i, co in enumerate(companies):
        when = START + timedelta(days=rnd.randrange(0, 170), hours=rnd.randrange(0, 8))
        inv = ics(f"Interview: Jordan / {co}", when + timedelta(days=3), when + timedelta(days=3, hours=1),
                  organizer=f"rec@{co}.com", attendee="jordan.lee@gmail.com")
        deliver(inbox, message(f"Rec {i} <rec@{co}.com>", ME, f"Interview at {co}",
                               "We hope to decide by the end of the month.", when, f"r{i}@{co}.com", calendar=inv),
                name=f"m{n}")
        n += 1
        if i % 2:
            deliver(sent, message(ME, f"rec@{co}.com", f"Re: Interview at {co}", "Thank you!",
                                  when + timedelta(days=3, hours=3), f"s{i}@gmail.com", in_reply_to=f"r{i}@{co}.com"),
                    name=f"m{n}")
            n += 1
    body = "Lorem ipsum dolor sit amet. " * 40
    while n < total:
        kind = rnd.random()
        when = START + timedelta(minutes=rnd.randrange(0, 170 * 24 * 60))
        if kind < 0.6:
            data = message(f"News {n % 50} <news@list{n % 50}.example>", ME, f"Weekly digest #{n}", body, when,
                           f"n{n}@list.example", headers={"List-Id": f"<list{n % 50}.example>",
                                                          "List-Unsubscribe": "<https://x.example/u>"})
            deliver(inbox, data, name=f"m{n}")
        elif kind < 0.8:
            data = message(f"Friend {n % 200} <friend{n % 200}@yahoo.com>", ME, f"Plans {n}", body, when,
                           f"p{n}@yahoo.com")
            deliver(inbox, data, name=f"m{n}")
        elif kind < 0.9:
            data = message(f"Colleague <c{n % 300}@work.example>", ME, f"Project update {n}", body, when,
                           f"w{n}@work.example")
            deliver(inbox, data, name=f"m{n}")
        else:
            data = message(ME, f"friend{n % 200}@yahoo.com", f"Re: Plans {n}", body, when, f"me{n}@gmail.com")
            deliver(sent, data, name=f"m{n}")
        n += 1
    cfg = root / "config.toml"
    cfg.write_text(
        '[account]\nname = "Jordan Lee"\naddresses = ["jordan.lee@gmail.com"]\ntimezone = "America/New_York"\n'
        f'[mailbox]\nbackend = "maildir"\n[maildir]\ninbox = "{inbox}"\nsent = "{sent}"\ndrafts = "{drafts}"\n'
        f'[state]\npath = "{root}/state.db"\n'
    )
    return cfg


def run(cfg: Path, now: str) -> tuple[float, dict[str, object], int]:
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "agent", "--config", str(cfg), "poll", "--once", "--now", now,
                           "--json"], capture_output=True, text=True, check=True)
    wall = time.perf_counter() - t0
    stats = json.loads(proc.stdout)["stats"]
    rss_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, stats, rss_kb


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=20000)
    ap.add_argument("--keep", type=Path)
    args = ap.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="followup-bench-"))
    t0 = time.perf_counter()
    cfg = build(root, args.messages)
    print(f"built {args.messages} messages in {time.perf_counter() - t0:.1f} s at {root}")

    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import agent.cli, agent.engine"], check=True)
    startup = time.perf_counter() - t0
    print(f"process start-up + imports: {startup:.2f} s")

    now = "2026-11-25T12:00:00-05:00"
    wall, stats, rss = run(cfg, now)
    print(f"cold poll:  {wall:6.2f} s wall (engine {stats['seconds']} s), {stats['messages']} messages, "
          f"{stats['conversations']} conversations, {stats['candidates']} candidates, "
          f"{stats['bodies_fetched']} bodies fetched")
    wall, stats, _ = run(cfg, now)
    print(f"warm poll:  {wall:6.2f} s wall (engine {stats['seconds']} s), {stats['added']} new, "
          f"{stats.get('rethreaded', 0)} re-threaded")
    inbox = root / "INBOX"
    for i in range(5):
        deliver(inbox, message(f"Friend <f{i}@yahoo.com>", ME, f"New {i}", "hello", START, f"new{i}@yahoo.com"))
    wall, stats, _ = run(cfg, now)
    print(f"5 new:      {wall:6.2f} s wall (engine {stats['seconds']} s), {stats['added']} new, "
          f"{stats.get('rethreaded', 0)} re-threaded")
    print(f"peak RSS of a poll: {rss / 1024:.0f} MB")
    if not args.keep:
        shutil.rmtree(root)


if __name__ == "__main__":
    main()
