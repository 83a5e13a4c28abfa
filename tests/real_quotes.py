"""Real replies with quoted history, read the way the agent reads them.

The corpus (``tests/corpus/quotes``, sources in its SOURCES.md) is other
projects' test mail, copied byte for byte. A ``.eml`` is a whole message; a
``.txt`` or ``.html`` is a body only, so :func:`raw_message` puts it under a
plain header block (From a correspondent, To the user, a Message-ID, a
Content-Type of text/plain or text/html in UTF-8): those headers are the
harness's, the body is the file. No threading headers are added: reading the
new text needs none.

:func:`measure` reads every file through :func:`agent.mail.parse.parse_message`
and checks its expectations (``expectations.toml``: phrases the new text must
hold, phrases of the quoted part it must not). Both the tests and
``bench/real_quotes.py`` use it.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from pathlib import Path

from agent.mail.parse import parse_message
from agent.model import Message, RawMessage

CORPUS = Path(__file__).resolve().parent / "corpus" / "quotes"
KIND = "quoted history"
USER = "jordan.lee@gmail.com"
CORRESPONDENT = "maya.okafor@corvidlabs.example"

#: Files still read wrong, with why each is left (the bench and the tests list them).
_TOP_HEADER = (
    "the message's body starts with a header block (Od:/Wysłano:/Temat:) with nothing above "
    "it; mail-parser-reply reads it as the message's own header, the agent as quoted history "
    "(a forward without a comment, or an empty reply above a quote): for the signals the "
    "safe reading, since quoted text is never evidence"
)
KNOWN_MISSES: dict[str, str] = {
    "mpr__email_pl_1_1.txt": _TOP_HEADER,
    "mpr__email_pl_1_2.txt": _TOP_HEADER,
    "mpr__email_pl_1_3.txt": _TOP_HEADER,
}


@dataclass(frozen=True)
class Case:
    """One corpus file and what its new text must and must not hold."""

    name: str
    new: tuple[str, ...]
    quoted: tuple[str, ...]
    note: str


@dataclass(frozen=True)
class Miss:
    name: str
    reason: str


@dataclass(frozen=True)
class Measured:
    """How many real replies the agent reads right, and why the others are wrong."""

    kind: str
    total: int
    right: int
    misses: tuple[Miss, ...]

    @property
    def share(self) -> float:
        return self.right / self.total if self.total else 0.0


@functools.cache
def cases() -> tuple[Case, ...]:
    """Every corpus file with its expectation (a file without one is an error)."""
    data = tomllib.loads((CORPUS / "expectations.toml").read_text("utf-8"))
    files = sorted(p.name for p in CORPUS.iterdir() if p.suffix in (".txt", ".eml", ".html"))
    missing = sorted(set(files) ^ set(data))
    if missing:
        raise ValueError(f"files and expectations differ: {missing}")
    return tuple(
        Case(n, tuple(data[n]["new"]), tuple(data[n]["quoted"]), data[n]["note"]) for n in files
    )


def raw_message(name: str) -> bytes:
    """The file as a message: a ``.eml`` as it is, a body under the harness's headers."""
    body = (CORPUS / name).read_bytes()
    if name.endswith(".eml"):
        return body
    subtype = "html" if name.endswith(".html") else "plain"
    head = (
        f"From: Maya Okafor <{CORRESPONDENT}>\r\n"
        f"To: Jordan Lee <{USER}>\r\n"
        "Subject: Re: Senior Engineer application\r\n"
        "Date: Tue, 03 Nov 2026 10:00:00 -0500\r\n"
        f"Message-ID: <{name}@corpus.invalid>\r\n"
        "MIME-Version: 1.0\r\n"
        f"Content-Type: text/{subtype}; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
    )
    return head.encode("ascii") + body


def read(name: str) -> Message:
    """The corpus file parsed as the agent parses mail."""
    return parse_message(RawMessage(id=name, folder="INBOX", data=raw_message(name)))


def problem(case: Case, text: str) -> str | None:
    """Why ``text`` is not the right new text for ``case`` (None when it is)."""
    lost = [p for p in case.new if p not in text]
    kept = [p for p in case.quoted if p in text]
    if lost:
        return f"new text lost {lost!r}"
    if kept:
        return f"quoted text kept {kept!r}"
    return None


def measure() -> Measured:
    """Read every corpus file; count those read right and list the others with why."""
    misses: list[Miss] = []
    for case in cases():
        wrong = problem(case, read(case.name).text)
        if wrong is not None:
            why = KNOWN_MISSES.get(case.name)
            misses.append(Miss(case.name, f"{wrong}; left: {why}" if why else wrong))
    total = len(cases())
    return Measured(KIND, total, total - len(misses), tuple(misses))
