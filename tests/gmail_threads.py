"""Gmail-like threading, shared by the fake Gmail servers (tests/gmail_server.py, REST, and
tests/gmail_imap_server.py, IMAP).

A message joins the thread of a message it references (In-Reply-To/References) or that
references it when their subjects agree (Re:/Fwd:/Aw: aside; a delivery report joins on
its references alone), else of a message with the same base subject that shares a
correspondent other than the account; else it starts a thread. As in Gmail, Outlook's
"Automatic reply:" is no reply prefix: an out-of-office starts a thread of its own. Each
server keeps its own thread ids and its own way of merging threads: this module only says
which messages belong together.
"""

from __future__ import annotations

import email.errors
import email.header
import email.utils
import functools
import re
from collections.abc import Iterable
from typing import TypeVar

_MSG_ID = re.compile(r"<[^<>\s]+>")
_REPLY_PREFIXES = re.compile(r"^(?:\s*(?:re|fwd?|aw)\s*:\s*)+", re.I)
_REPORT = re.compile(r"multipart/report|^(?:mailer-daemon|postmaster)@", re.I)


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
        """The subject without reply/forward prefixes, lower-cased.

        Decoded first, as Gmail does: two clients encode the same non-ASCII subject
        ("Gesprächstermin") as different RFC 2047 words, and Gmail still threads them.
        """
        return _REPLY_PREFIXES.sub("", _decoded(self.header("Subject"))).strip().lower()

    @functools.cached_property
    def is_report(self) -> bool:
        """A delivery status report: Gmail files it with the message it reports on."""
        sender = email.utils.parseaddr(self.header("From"))[1]
        return bool(_REPORT.search(self.header("Content-Type")) or _REPORT.search(sender))

    @functools.cached_property
    def people(self) -> set[str]:
        """The From/To/Cc addresses, lower-cased."""
        pairs = email.utils.getaddresses([self.header(h) for h in ("From", "To", "Cc")])
        return {a.lower() for _n, a in pairs if a}


def _decoded(raw: str) -> str:
    """``raw`` with its RFC 2047 words decoded; a malformed one is compared as written."""
    if "=?" not in raw:
        return raw
    try:
        return str(email.header.make_header(email.header.decode_header(raw)))
    except (LookupError, UnicodeError, email.errors.HeaderParseError):
        return raw


M = TypeVar("M", bound=ThreadHeaders)


def linked(new: ThreadHeaders, existing: Iterable[M]) -> list[M]:
    """The messages ``new`` references or that reference it, in the order of ``existing``.

    Gmail also wants the subjects to agree (a delivery report aside, and a message without
    a subject): so an Outlook "Automatic reply: Re: …" stays apart from the thread it
    answers, and a stranger reusing a Message-ID neither joins the thread of the message it
    imitates nor merges the two.
    """
    existing = list(existing)
    mid = new.message_id

    def agrees(_shared_id: str, m: M) -> bool:
        return (new.is_report or m.is_report or not new.base_subject or not m.base_subject
                or m.base_subject == new.base_subject)

    return [m for m in existing
            if (m.message_id in new.refs and agrees(m.message_id, m)) or (mid and mid in m.refs and agrees(mid, m))]


def same_subject(new: ThreadHeaders, existing: Iterable[M], account: str) -> M | None:
    """The first message with ``new``'s base subject sharing a correspondent other than ``account``."""
    if new.base_subject:
        for m in existing:
            if m.base_subject == new.base_subject and (m.people & new.people) - {account}:
                return m
    return None
