"""The likely candidates' bodies, fetched while a cold poll's parent waits for its threading child.

Why: on a cold poll the parent has nothing to do between writing the mailbox
down and receiving the candidate conversations from the child that threads
them (agent/forked.py), and the bodies stage that follows spends about 0.1 s
at 20,000 messages fetching and parsing the candidates' bodies. Most of those
messages are known before threading: the candidate test's one-message parts
(agent/candidates.py HeaderTests) already say which headers look recruiting,
and every delivery report is a candidate. Their bodies are fetched (one FETCH)
and parsed in the wait; :func:`agent.syncing.with_bodies` then takes them from
here and fetches only what is still missing.

Nothing changes with it: a body is the same bytes whenever it is fetched (an
IMAP UID, a Maildir file, a Gmail id always names the same message), it is
parsed from the same header-only message's folder, thread hint and labels,
and ``with_bodies`` stores it, compares its links and counts it exactly as
one it fetched itself. Memory stays small: only those messages' bodies are
held (60 conversations' worth at 20,000 messages, never the mailbox's), and
those not asked for after threading are dropped.
"""

from __future__ import annotations

from collections.abc import Iterable

from agent.backends.base import Mailbox
from agent.candidates import HeaderTests
from agent.model import Message, RawMessage

__all__ = ["Prefetch", "likely_candidates", "parse_body"]


def parse_body(message: Message, data: bytes) -> Message:
    """``message`` (parsed from its headers) parsed again from its full bytes ``data``, keeping
    what the backend said of it besides its bytes (folder, thread hint, labels)."""
    from agent.mail.parse import parse_message  # loaded by the sync already; not at import time

    return parse_message(RawMessage(id=message.id, folder=message.folder, data=data,
                                    thread_hint=message.thread_hint, labels=message.labels))


def likely_candidates(parsed: Iterable[Message], tests: HeaderTests) -> list[Message]:
    """The messages whose headers alone make their conversation a candidate: those the header
    tests found recruiting, and the delivery reports (always candidates, agent/candidates.py).
    Not the user's own messages: most of them are personal mail, and a candidate conversation's
    are fetched after threading with what else is missing."""
    return [m for m in parsed if not m.has_body and (m.id in tests.recruiting or m.auto.is_report)]


class Prefetch:
    """Bodies fetched ahead for :func:`agent.syncing.with_bodies`: :meth:`run` once, in the wait;
    then :meth:`take` hands each one out once."""

    def __init__(self, mailbox: Mailbox) -> None:
        self._mailbox = mailbox
        self._bodies: dict[str, Message] = {}
        self.asked = 0

    def run(self, messages: list[Message]) -> None:
        """Fetch and parse the bodies of ``messages`` (one request to the backend)."""
        self.asked = len(messages)
        if not messages:
            return
        known = {m.id: m for m in messages}
        for mid, data in self._mailbox.fetch(list(known)).items():
            if mid in known:  # a backend answers only what it was asked; a gone id is left out
                self._bodies[mid] = parse_body(known[mid], data)

    def take(self, ids: Iterable[str]) -> dict[str, Message]:
        """The bodies held for ``ids`` (removed from here: each is handed out once)."""
        return {i: m for i in ids if (m := self._bodies.pop(i, None)) is not None}

    def drop(self) -> int:
        """Let go of what was never asked for; returns how many bodies that was (fetched for nothing)."""
        unused = len(self._bodies)
        self._bodies.clear()
        return unused

    def __len__(self) -> int:
        return len(self._bodies)
