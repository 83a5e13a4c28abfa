"""Delivery reports ("bounces") in every shape mail servers write them.

A report says that the user's message could not be delivered (final) or has
not been delivered yet (delayed), to whom, and which message that was. Only a
minority arrive as the standard ``multipart/report`` with a
``message/delivery-status`` part (RFC 3464). Real servers also send:

* plain text with the original quoted below (Exim "Mail delivery failed:
  returning message to sender", qmail "failure notice", Courier, Lotus
  Domino, old Sendmail), often with an ``X-Failed-Recipients`` header;
* ``multipart/mixed`` with the original attached (Exchange "Undeliverable:",
  Amazon WorkMail, many appliances);
* from ``MAILER-DAEMON``, ``postmaster``, "Mail Delivery Subsystem", or from
  the empty address ``<>``; stored with an mbox ``From `` line first.

Which addresses failed: the library **flufl.bounce** (Apache-2.0; GNU
Mailman's bounce detectors, 17 of them: DSN, Postfix, Exim, qmail, Exchange,
Microsoft, AOL, Yahoo, GroupWise, Netscape, simple patterns and warnings…;
6.0.0 released in 2026, maintained by the Mailman team) tells temporary from
permanent failures; it is used here after the structured fields, which it does
not weigh as we need (each DSN recipient block's own ``Action``,
``X-Failed-Recipients``). Alone it found the recipients of 185 of our 248
real reports. We looked for others: sisimai is the most complete reader but
has no Python port (Perl, Ruby, Go); the ``bounce-email`` port (last release
2017) is not maintained; mail-parser parses mail but reads no recipients. What flufl.bounce does not read is
left to the conversation (agent/signals/bounces.py: the addresses the user
wrote to that the report names).

Which message: the returned original's Message-ID, from an attached message
or header part, else from its headers quoted in the text.

Pure functions over parsed ``email`` objects and strings; no I/O.
"""

from __future__ import annotations

import copy
import functools
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.message import Message as EmailMessage
from typing import Any

from agent.lazy_pattern import lazy

__all__ = ["Report", "read_report", "report_evidence", "report_subject", "returned_ids_in_text", "system_sender"]

#: the local part of a mail system's own sender: mailer-daemon@, postmaster@, Mail.Delivery.System@
_SENDER_LOCAL = lazy(
    r"^(mailer[-_.]?daemon|mail[-_.]?daemon|postmaster|post[-_.]?master|poostmaster|mdaemon|"
    r"mail[-_.]?delivery[-_.]?(system|subsystem)|bounces?)([+.-].*)?$",
    re.I,
)
#: display names mail systems give themselves
_SENDER_NAME = lazy(
    r"\b(mail(er)? delivery (sub)?system|mail deliver system|mailer[- ]daemon|internet mail delivery|"
    r"postmaster|ndr)\b",
    re.I,
)
_SUBJECT = lazy(
    r"\b(undeliverable|undelivered|non[- ]?deliverable|delivery status notification|delivery status|"
    r"delivery (notification|report|failure|failed|problem)|mail delivery (failed|failure|status)|"
    r"(message|mail) (could not be|was not|not) delivered|returned (mail|to sender)|failure notice|"
    r"mail system error|delivery has (failed|been delayed)|delayed mail|could not send message|"
    r"there was an error sending your mail|failed delivery|postmaster notify|"
    r"message delivery has failed|unzustellbar|non remis|no entregado|non consegnato|"
    r"не доставлено|недоставленное|配信できません|メールエラー)",
    re.I,
)


@dataclass(frozen=True)
class Report:
    """What a delivery report says: who failed for good, who is delayed, and whether it is one
    (the headers say so, or only its subject does and its body names a recipient)."""

    failed: tuple[str, ...] = ()
    delayed: tuple[str, ...] = ()
    certain: bool = True


def report_evidence(from_header: str | None, sender_local: str, sender_name: str, subject: str,
                    content_type: str, failed_header: bool, auto_submitted: str | None) -> str | None:
    """How far the headers alone say "delivery report": ``"headers"`` when they make it one,
    ``"subject"`` when only its subject does, else None (the body is not read as a report).

    ``from_header`` is the From field as written (None when absent): a From with
    no address in it (``<>``, ``MAILER-DAEMON <>``, a bare ``MAILER-DAEMON``) is
    the empty sender only mail systems use. A report-like subject from an
    automatic or no-reply sender counts as headers; from anyone else it only
    makes the body worth reading (a person may write "Re: Undeliverable").
    """
    if content_type == "multipart/report" or failed_header or system_sender(sender_local, sender_name):
        return "headers"
    if from_header is not None and not sender_local and (
            _EMPTY_SENDER.match(from_header) or _SYSTEM_WORD.search(from_header)):
        return "headers"  # no address, or one the parser refused ("MAILER-DAEMON@localhost")
    if not _SUBJECT.search(subject):
        return None
    if auto_submitted not in (None, "no") or _NO_REPLY.match(sender_local):
        return "headers"
    return "subject"


#: senders that are nobody: a system's no-reply mailbox, a list's admin address
_NO_REPLY = lazy(r"^(no-?reply|do-?not-?reply|.*[-_.]admin|admin)$", re.I)
_SYSTEM_WORD = lazy(r"\b(mailer-daemon|postmaster)\b", re.I)
#: a From field naming no address: "<>", "MAILER-DAEMON <>", "MAILER-DAEMON", "Mail Deliver System <MAILER-DAEMON>"
_EMPTY_SENDER = lazy(r"^\s*(\"?[^<>\"]*\"?\s*)?(<\s*>|<?\s*(mailer-daemon|postmaster)\s*>?)?\s*$", re.I)


def report_subject(subject: str) -> bool:
    """A subject that mail systems give their delivery reports."""
    return bool(_SUBJECT.search(subject))


def system_sender(local: str, name: str) -> bool:
    """A sender that is a mail system, not a person (mailer-daemon@, postmaster@, …)."""
    return bool(_SENDER_LOCAL.match(local) or _SENDER_NAME.search(name))


def read_report(root: EmailMessage, dsn_failed: Iterable[str], dsn_delayed: Iterable[str], evidence: str,
                text: str) -> Report:
    """The failed and delayed recipients of a report.

    ``dsn_failed`` / ``dsn_delayed``: what its ``message/delivery-status`` blocks
    said, per recipient (these win: a block's ``Action`` is the server's own word).
    Then flufl.bounce, whose permanent failures are failed and temporary ones
    delayed, unless the report's ``text`` says it is only a warning (some servers'
    warnings look like failures to its detectors). An address is never both: failed wins.
    """
    failed = _ordered(dsn_failed)
    delayed = _ordered(dsn_delayed)
    if not failed and not delayed:
        temporary, permanent = _flufl(root)
        failed, delayed = _ordered(permanent), _ordered(temporary)
        if failed and warning_only(text):
            failed, delayed = [], _ordered([*delayed, *failed])
    named = bool(failed or delayed)
    return Report(tuple(failed), tuple(a for a in delayed if a not in failed), evidence == "headers" or named)


def _flufl(root: EmailMessage) -> tuple[list[str], list[str]]:
    """flufl.bounce's (temporary, permanent) addresses as lower-case text; nothing if it fails.

    Its detectors run one after another and the first exception stops them all;
    one of them reads the From address and fails on the empty sender, so a
    second try gives it a copy with a placeholder sender. A malformed report
    must never cost the message (parse never raises).
    """
    for attempt in (root, _with_sender(root)):
        try:
            temporary, permanent = _all_failures()(attempt)
        except Exception:  # a third-party detector on hostile input
            continue
        return _texts(temporary), _texts(permanent)
    return [], []


def _with_sender(root: EmailMessage) -> EmailMessage:
    """A shallow copy with a From field that parses (the original is left as it was:
    deleting a field gives the copy a header list of its own)."""
    c = copy.copy(root)
    del c["From"]
    c["From"] = "MAILER-DAEMON@invalid"
    return c


@functools.cache
def _all_failures() -> Callable[[EmailMessage], tuple[Iterable[Any], Iterable[Any]]]:
    """flufl.bounce's ``all_failures``, imported on the first delivery report read.

    Imported here, not at the top: a poll that reads no report (a warm one with
    nothing new) saves the package's import and its detectors' (issue 15).
    """
    from flufl.bounce import all_failures

    # it logs a detector's exception with its traceback before re-raising it; we handle the
    # exception (in _flufl), so its log stays out of the user's logs and the terminal
    log = logging.getLogger("flufl.bounce")
    log.addHandler(logging.NullHandler())
    log.propagate = False
    return all_failures


_ADDRESS = lazy(r"^[^@\s<>()\[\],;:\"]+@[a-z0-9.-]+\.[a-z0-9-]{2,}$")


def _texts(found: Iterable[bytes | str]) -> list[str]:
    out = []
    for a in found:
        text = (a.decode("utf-8", "replace") if isinstance(a, bytes) else str(a)).strip().strip("<>").lower()
        if _ADDRESS.match(text):
            out.append(text[:320])
    return sorted(out)


def _ordered(addresses: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(a for a in addresses if a))


#: a report that says it is a warning: nothing failed yet, the server keeps trying
_WARNING = lazy(
    r"\b(this is a warning (message )?only|you do not need to resend|no action is required on your part|"
    r"still being retried|will (continue to )?(re)?try (to deliver|delivery|for)|delivery attempts will continue)\b",
    re.I,
)


def warning_only(text: str) -> bool:
    """Whether a report's text says that it is only a warning (delivery goes on)."""
    return bool(_WARNING.search(text[:6000]))


_QUOTED_ID = lazy(r"^[ \t>]*Message-ID[ \t]*:[ \t]*\n?[ \t]*(<[^<>\s]+@[^<>\s]+>)", re.I | re.M)


def returned_ids_in_text(text: str) -> list[str]:
    """Message-IDs of the original as its headers are quoted in a report's text (first first)."""
    return list(dict.fromkeys(m.group(1) for m in _QUOTED_ID.finditer(text)))
