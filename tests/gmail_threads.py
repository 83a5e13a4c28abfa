"""Gmail-like threading, shared by the fake Gmail servers (tests/gmail_server.py, REST, and
tests/gmail_imap_server.py, IMAP).

A message joins the thread of a message it references (In-Reply-To/References) or that
references it, else of a message with the same base subject (Re:/Fwd:/Aw:/Automatic reply:
aside) that shares a correspondent other than the account; else it starts a thread. Each
server keeps its own thread ids and its own way of merging threads: this module only says
which messages belong together.
"""

from __future__ import annotations

import email.utils
import functools
import re
from collections import Counter
from collections.abc import Iterable
from typing import TypeVar

_MSG_ID = re.compile(r"<[^<>\s]+>")
_REPLY_PREFIXES = re.compile(r"^(?:\s*(?:re|fwd?|aw|automatic reply)\s*:\s*)+", re.I)


class ThreadHeaders:
    """What Gmail threads on, read through ``header(name)`` (each server's message class defines it)."""

    def header(self, name: str) -> str:
        """The value of the first header field called ``name``, or ""."""
        raise NotImplementedError

    @functools.cached_property
    def message_id(self) -> str:
        return self.header("Message-ID").strip()

    @functools.cached_property
    def refs(self) -> set[str]:
        """The Message-IDs in References and In-Reply-To."""
        return set(_MSG_ID.findall(f"{self.header('References')} {self.header('In-Reply-To')}"))

    @functools.cached_property
    def base_subject(self) -> str:
        """The subject without reply/forward prefixes, lower-cased."""
        return _REPLY_PREFIXES.sub("", self.header("Subject")).strip().lower()

    @functools.cached_property
    def people(self) -> set[str]:
        """The From/To/Cc addresses, lower-cased."""
        pairs = email.utils.getaddresses([self.header(h) for h in ("From", "To", "Cc")])
        return {a.lower() for _n, a in pairs if a}


M = TypeVar("M", bound=ThreadHeaders)


def linked(new: ThreadHeaders, existing: Iterable[M]) -> list[M]:
    """The messages ``new`` references or that reference it, in the order of ``existing``.

    Gmail also wants the subjects to agree. These stand-ins ask for that only where the
    Message-ID in question is held by more than one message (a broken or hostile sender
    reusing it): a reply then joins the thread of the message it answers, and a stranger
    reusing an id neither joins the thread of the message it imitates nor merges the two.
    """
    existing = list(existing)
    mid = new.message_id
    holders = Counter(m.message_id for m in existing)
    holders[mid] += 1

    def agrees(shared_id: str, m: M) -> bool:
        return holders[shared_id] < 2 or m.base_subject == new.base_subject

    return [m for m in existing
            if (m.message_id in new.refs and agrees(m.message_id, m)) or (mid and mid in m.refs and agrees(mid, m))]


def same_subject(new: ThreadHeaders, existing: Iterable[M], account: str) -> M | None:
    """The first message with ``new``'s base subject sharing a correspondent other than ``account``."""
    if new.base_subject:
        for m in existing:
            if m.base_subject == new.base_subject and (m.people & new.people) - {account}:
                return m
    return None
