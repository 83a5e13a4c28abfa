"""The labeled judgment corpus (``tests/corpus/judgment/``): load it, and check it.

Standard library only, so that whoever writes conversations can check them with
``python3 tests/judgment_corpus.py`` before anything else is installed. The
format is described in ``tests/corpus/judgment/README.md``.
"""

from __future__ import annotations

import email
import email.policy
import mailbox
import sys
import tomllib
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path

CORPUS = Path(__file__).parent / "corpus" / "judgment"

USER_ADDRESSES = ("jordan.lee@gmail.com", "jordan.lee@northwindtraders.com")
LABELS = ("recruiting", "lookalike")
LOOKALIKE_CATEGORIES = (
    "interviewer", "press", "podcast", "research_study", "user_research", "admissions",
    "scholarship", "visa", "volunteer", "club_board", "rental", "medical", "vendor", "credit",
    "job_alert", "newsletter", "ack", "personal", "mass_mail",
)  # fmt: skip
EARLIEST = datetime(2026, 9, 1, tzinfo=UTC)
LATEST = datetime(2026, 12, 2, tzinfo=UTC)


def is_user_address(addr: str) -> bool:
    """The corpus's user: the configured addresses and their plus-addresses."""
    local, _, domain = addr.lower().rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}" in USER_ADDRESSES


@dataclass(frozen=True)
class CorpusMessage:
    data: bytes
    folder: str  # "inbox" | "sent"
    message_id: str
    date: datetime


@dataclass(frozen=True)
class CorpusConversation:
    file: str  # relative to CORPUS
    label: str
    category: str
    company: str | None
    note: str
    messages: tuple[CorpusMessage, ...]

    @property
    def recruiting(self) -> bool:
        return self.label == "recruiting"

    @property
    def slug(self) -> str:
        return Path(self.file).stem


@dataclass(frozen=True)
class Expectation:
    """Where a recruiting conversation stands at the bench's decision moment, as a person
    reading the mail against POLICY.md says (``expect-*.toml``; written without running the agent)."""

    file: str
    state: str  # open | closed | moved_on
    next: str  # thank_you | follow_up_1 | follow_up_2 | none
    due: str | None  # local New York time, "2026-11-24T09:00"
    interview: str | None  # start of the last interview held, or None
    confidence: str
    why: str


def expectations(root: Path = CORPUS) -> dict[str, Expectation]:
    """Every ``[[expect]]`` entry of the manifests, by corpus file."""
    out: dict[str, Expectation] = {}
    for manifest in sorted(root.glob("*.toml")):
        with manifest.open("rb") as f:
            for e in tomllib.load(f).get("expect", []):
                interview = e.get("interview")
                out[e["file"]] = Expectation(
                    file=e["file"], state=e["state"], next=e["next"], due=e.get("due"),
                    interview=None if interview in (None, "none") else interview,
                    confidence=e.get("confidence", "high"), why=e.get("why", ""))
    return out


def _messages(path: Path) -> tuple[CorpusMessage, ...]:
    out = []
    for i, m in enumerate(mailbox.mbox(path, create=False)):
        data = m.as_bytes()
        # mailbox keeps the From_ line apart; the bytes are the RFC 5322 message
        parsed = email.message_from_bytes(data, policy=email.policy.compat32)
        mid = (parsed.get("Message-ID") or "").strip()
        raw_date = parsed.get("Date")
        if not mid or not raw_date:
            raise ValueError(f"{path.name}: message {i + 1} lacks a Message-ID or a Date")
        date = parsedate_to_datetime(str(raw_date))
        if date.tzinfo is None:
            raise ValueError(f"{path.name}: message {i + 1}: Date without a zone")
        senders = [a for _, a in getaddresses([str(parsed.get("From", ""))]) if a]
        if not senders:
            raise ValueError(f"{path.name}: message {i + 1} has no From address")
        folder = "sent" if is_user_address(senders[0]) else "inbox"
        out.append(CorpusMessage(data, folder, mid, date.astimezone(UTC)))
    if not out:
        raise ValueError(f"{path.name}: no messages")
    return tuple(out)


def load(root: Path = CORPUS) -> list[CorpusConversation]:
    """Every conversation named in the manifests, in manifest then file order."""
    out = []
    for manifest in sorted(root.glob("*.toml")):
        with manifest.open("rb") as f:
            entries = tomllib.load(f).get("conversation", [])
        for e in entries:
            path = root / e["file"]
            out.append(CorpusConversation(
                file=e["file"], label=e["label"], category=e["category"],
                company=e.get("company"), note=e.get("note", ""), messages=_messages(path)))
    return out


def check(root: Path = CORPUS) -> list[str]:
    """Everything wrong with the corpus, as sentences (empty: all good)."""
    problems: list[str] = []
    try:
        convs = load(root)
    except (ValueError, KeyError, OSError, tomllib.TOMLDecodeError) as err:
        return [f"cannot load: {err!r}"]
    named = {c.file for c in convs}
    for path in sorted(root.rglob("*.mbox")):
        rel = path.relative_to(root).as_posix()
        if rel not in named:
            problems.append(f"{rel}: not in any manifest")
    seen: dict[str, str] = {}
    files = Counter(c.file for c in convs)
    problems += [f"{f}: listed {n} times" for f, n in files.items() if n > 1]
    for c in convs:
        if c.label not in LABELS:
            problems.append(f"{c.file}: label {c.label!r} is not one of {LABELS}")
        if c.label == "lookalike" and c.category not in LOOKALIKE_CATEGORIES:
            problems.append(f"{c.file}: category {c.category!r} is not a look-alike category")
        if c.label == "recruiting" and not c.company:
            problems.append(f"{c.file}: a recruiting conversation needs its company")
        if not c.file.startswith(f"{c.label}/"):
            problems.append(f"{c.file}: a {c.label} conversation belongs under {c.label}/")
        dates = [m.date for m in c.messages]
        if dates != sorted(dates):
            problems.append(f"{c.file}: messages are not in date order")
        for m in c.messages:
            if not EARLIEST <= m.date <= LATEST:
                problems.append(f"{c.file}: {m.message_id} dated {m.date:%Y-%m-%d}, outside the window")
            if m.message_id in seen:
                problems.append(f"{c.file}: {m.message_id} is also in {seen[m.message_id]}")
            seen[m.message_id] = c.file
    return problems


def main() -> int:
    problems = check()
    for p in problems:
        print("PROBLEM:", p)
    convs = load() if not problems or not problems[0].startswith("cannot load") else []
    by = Counter((c.label, c.category) for c in convs)
    for (label, category), n in sorted(by.items()):
        print(f"{label:10} {category:16} {n:3}")
    print(f"{sum(c.recruiting for c in convs)} recruiting, {sum(not c.recruiting for c in convs)} look-alikes, "
          f"{sum(len(c.messages) for c in convs)} messages")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
