"""Benchmark: Gmail API requests and quota units per poll (cold sync, idle poll, one new message).

Prints figures; asserts nothing. Runs the real backend (google-api-python-client,
google-auth) against the fake Gmail server of the tests, so the requests are
the ones a real account would see; the fake only counts them.

    python bench/gmail_requests.py [--threads 500]     # issue 15: --threads 10000

The threads' dates are spread evenly over three years back from the poll's
"now", and the fake server honours ``newer_than:<n>d`` in threads.list, so the
first sync is shown with the window (``gmail.query = "newer_than:180d"``, the
default of ``mailbox.lookback_days``) and without it (an empty query).

Quota units are Gmail's published per-method costs
(developers.google.com/gmail/api/reference/quota): threads.list 10,
threads.get 10, messages.get 5, history.list 2, drafts.list 5, drafts.get 5,
drafts.create 10, drafts.delete 10, getProfile 1, labels.list 1. The
per-user limit is 15,000 units a minute (250 a second); the backend paces
itself to it, and "paced wait" is how long a real cold sync would spend
waiting for quota (the benchmark's clock is simulated, so it does not wait).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agent.backends.gmail import GmailMailbox
from agent.config import AccountConfig, Config, GmailConfig, StateConfig
from tests.gmail_server import ACCOUNT, FakeClock, FakeGmail, fake_gmail, make_mailbox

#: the bench's "now": the threads' dates run back three years from it
NOW = datetime(2026, 12, 21, 15, tzinfo=UTC)
SPREAD_DAYS = 3 * 365


def populate(server: FakeGmail, threads: int) -> None:
    """``threads`` conversations, roughly a real mailbox: 60 % newsletters and alerts (bulk
    headers, never answered), 30 % personal mail answered from time to time, 10 % recruiting
    (a message in, the user's answer out, sometimes a reply back). Thread ``i`` is dated
    ``i * SPREAD_DAYS / threads`` days before :data:`NOW`."""
    server.query_now_ms = int(NOW.timestamp() * 1000)
    for i in range(threads):
        when = NOW - timedelta(days=i * SPREAD_DAYS / threads)
        ms = int(when.timestamp() * 1000)
        date = when.strftime("%a, %d %b %Y %H:%M:%S +0000")
        kind = "recruiting" if i % 10 == 0 else "bulk" if i % 10 < 7 else "personal"
        domain = f"corp{i % 40}.example" if kind == "recruiting" else (
            f"news{i % 25}.example" if kind == "bulk" else "gmail.com")
        sender = f"p{i}@{domain}"
        subject = {"recruiting": f"Interview for role {i}", "bulk": f"Weekly digest {i}",
                   "personal": f"Dinner plans {i}"}[kind]
        bulk = "List-Unsubscribe: <mailto:u@x.example>\r\nPrecedence: bulk\r\n" if kind == "bulk" else ""
        root = f"<t{i}@{domain}>"
        server.deliver(
            f"From: Person {i} <{sender}>\r\nTo: {ACCOUNT}\r\nSubject: {subject}\r\n{bulk}"
            f"Date: {date}\r\nMessage-ID: {root}\r\n\r\n"
            "Thanks for your time today; we will decide by the end of the month.\r\n".encode(), internal_date=ms)
        if kind == "bulk" or i % 2:
            continue
        server.deliver(
            f"From: {ACCOUNT}\r\nTo: {sender}\r\nSubject: Re: {subject}\r\n"
            f"Date: {date}\r\nMessage-ID: <r{i}@gmail.example>\r\n"
            f"In-Reply-To: {root}\r\nReferences: {root}\r\n\r\nThank you!\r\n".encode(), labels=["SENT"],
            internal_date=ms + 3_600_000)
        if i % 3 == 0:
            server.deliver(
                f"From: Person {i} <{sender}>\r\nTo: {ACCOUNT}\r\nSubject: Re: {subject}\r\n"
                f"Date: {date}\r\nMessage-ID: <b{i}@{domain}>\r\n"
                f"In-Reply-To: <r{i}@gmail.example>\r\nReferences: {root} <r{i}@gmail.example>\r\n\r\n"
                "Noted.\r\n".encode(), internal_date=ms + 7_200_000)


def measure(server: FakeGmail, what: str, action: object) -> dict[str, object]:
    server.reset_counts()
    assert callable(action)
    action()
    calls = Counter(r.api for r in server.calls())
    return {"what": what, "http": server.http_requests, "calls": sum(calls.values()),
            "units": server.units(), "by_method": dict(sorted(calls.items()))}


def show(row: dict[str, object], extra: str = "") -> None:
    methods = ", ".join(f"{k} x{v}" for k, v in row["by_method"].items())  # type: ignore[attr-defined]
    print(f"{row['what']:<38} {row['http']:>5} HTTP  {row['calls']:>5} calls  {row['units']:>6} units"
          f"  [{methods}]{extra}")


def first_sync_without_window(server: FakeGmail, threads: int) -> None:
    """The first sync with an empty query (``mailbox.lookback_days = 0``): every thread."""
    clock = FakeClock()
    box = make_mailbox(server, clock, jitter=lambda: 0.5, query="")
    n = {}

    def cold() -> None:
        n["added"] = len(box.changes(None).added)
        box.drafts()

    show(measure(server, f"cold sync, no window ({threads} threads)", cold), f"  paced wait {sum(clock.sleeps):.1f} s")
    print(f"{'':<38} no window: {n['added']} messages as header blocks")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=500)
    args = ap.parse_args()
    with fake_gmail() as server:
        populate(server, args.threads)
        messages = len(server.messages)
        print(f"fake Gmail: {args.threads} threads, {messages} messages\n")
        clock = FakeClock()
        box: GmailMailbox = make_mailbox(server, clock, jitter=lambda: 0.5)
        state: dict[str, str] = {}

        def cold() -> None:
            cs = box.changes(None)
            box.drafts()
            state["cursor"] = cs.cursor
            state["n"] = str(len(cs.added))

        first_sync_without_window(server, args.threads)
        row = measure(server, f"cold sync ({args.threads} threads)", cold)
        show(row, f"  paced wait {sum(clock.sleeps):.1f} s")
        print(f"{'':<38} window newer_than:180d: {state['n']} messages as header blocks; "
              f"cursor {len(state['cursor'])} bytes")

        def idle() -> None:
            later = make_mailbox(server, FakeClock())  # a new process: only the stored cursor
            cs = later.changes(state["cursor"])
            later.drafts()
            assert not cs.added and not cs.removed

        show(measure(server, "idle poll (new process, same cursor)", idle))

        def one_new() -> None:
            server.deliver(f"From: Sam <sam@acme.example>\r\nTo: {ACCOUNT}\r\nSubject: Interview\r\n"
                           "Message-ID: <new@acme.example>\r\n\r\nHi\r\n".encode())
            server.reset_counts()
            later = make_mailbox(server, FakeClock())
            cs = later.changes(state["cursor"])
            later.fetch([r.id for r in cs.added])
            later.drafts()
            state["cursor"] = cs.cursor

        show(measure(server, "one new message (+ its body)", one_new))

        def read_mark() -> None:
            mid = server.find("<new@acme.example>")
            server.mark_read(mid)
            server.reset_counts()
            later = make_mailbox(server, FakeClock())
            state["cursor"] = later.changes(state["cursor"]).cursor
            later.drafts()

        show(measure(server, "the user reads a message", read_mark))

        # the whole engine, cold then warm: bodies for candidate conversations, drafts written
        from agent import engine
        from agent.store import Store

        with tempfile.TemporaryDirectory() as tmp:
            server2_threads = args.threads
            with fake_gmail() as s2:
                populate(s2, server2_threads)
                config = Config(
                    account=AccountConfig("Jordan Lee", (ACCOUNT,), "America/New_York"), backend="gmail",
                    state=StateConfig(Path(tmp) / "state.db"),
                    gmail=GmailConfig(api_endpoint=s2.url, query="newer_than:180d"),
                )
                now = NOW
                for label in ("engine poll, cold", "engine poll, warm (nothing new)"):
                    def run() -> None:
                        with Store.open(config.state.path) as store:
                            mb = make_mailbox(s2, FakeClock(), cfg=config.gmail)
                            result = engine.poll(config, mb, store, now, dry_run=False)
                            state["stats"] = str({k: result.stats.get(k) for k in
                                                  ("added", "candidates", "bodies_fetched")})
                            state["plan"] = str(Counter(a.kind for a in result.plan))
                    show(measure(s2, label, run))
                    print(f"{'':<38} {state['stats']} plan {state['plan']}")


if __name__ == "__main__":
    main()
