"""Automatic replies, read receipts and bulk mail: messages that are not a person answering.

An out-of-office is *not* a reply (the silence goes on), but its return date
matters: the next draft waits until after it. Bulk and list mail is never a
conversation. Bounces (delivery reports) are read in agent/signals/bounces.py.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from agent.lazy_pattern import lazy
from agent.model import Message
from agent.signals import autoreply_lang

_OOO_SUBJECT = lazy(
    r"\b(out of (the )?office|automatic reply|auto(matic)?[- ]?reply|autoreply|"
    r"absence|away from (the )?office|on vacation|on leave|"
    r"ooo|vacation (alert|reply|notice)|i'?m away|auto[- ]?respons\w*)\b"
    # Lotus Notes and Zimbra prefix the original subject with "AUTO:" / "Auto:"
    r"|^\s*auto\s*:",
    re.I,
)
_OOO_TEXT = lazy(
    r"\b(i am|i'm|i will be) (currently )?(out of (the )?office|away|on (annual )?leave|"
    r"on vacation|on holiday|travelling|traveling|offline|ooo)\b|"
    r"\b(limited|no) access to (my )?e-?mail\b|\bwill (respond|reply|get back)[^.]{0,40}\bwhen I return\b|"
    r"\bthis is an automatic reply\b",
    re.I,
)
# Challenge-response services (Boxbe, SpamArrest, Mailbox confirmation, …) answer a
# stranger's first message with a request to prove they are a person; most send no
# Auto-Submitted header, so their wording is the only sign.
_CHALLENGE = lazy(
    r"\b(sender not pre-?approved|to complete this verification|verify (that )?you are (a )?(human|person)|"
    r"prove (that )?you are (a )?(human|person)|please confirm (that )?you are (a )?(human|real person)|"
    r"spam ?arrest|boxbe|my (spam|junk)[- ]?(filter|blocker) (requires|has held)|"
    r"(awaiting|requires) (your )?(verification|confirmation) before (it|your message) (is|can be) delivered|"
    r"(your|the) message (is|has been) (held|quarantined) (until|pending) (you|your)? ?(verif|confirm))",
    re.I,
)
# Read receipts (RFC 8098 message/disposition-notification) name their subject so.
_RECEIPT_SUBJECT = lazy(
    r"^\s*(read|gelesen|lu|le[ií]do|letto|gelezen|l[äa]st|luettu|lido|přečteno|прочитано)\s*:|"
    r"\b(read receipt|return receipt|disposition notification|lesebest[äa]tigung|accus[ée] de lecture)\b",
    re.I,
)
# Vacation responders add Precedence: bulk to keep other responders quiet; only a list
# header says the message really is list mail.
_REPLIED_VALUES = frozenset({"auto-replied", "auto-notified"})
_FIRST_TOKEN = lazy(r"[a-z-]+")

_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
            ("may",), ("june", "jun"), ("july", "jul"), ("august", "aug"),
            ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
            ("december", "dec"),
        ]
    )
    for m in names
}
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_RETURN_CUE = (
    r"(?:back|return(?:ing)?|returns|in the office|available|reachable|respond|reply)"
    r"[^.\n]{0,60}?"
)
_RETURN_MONTH_DAY = lazy(
    _RETURN_CUE
    + r"\b(?:on |until |by |from |after )?(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,? )?"
    r"(?P<month>" + _MONTH_RE + r")\.? (?P<day>\d{1,2})(?:st|nd|rd|th)?(?:,? (?P<year>\d{4}))?\b",
    re.I,
)
_RETURN_DAY_MONTH = lazy(
    _RETURN_CUE + r"\b(?P<day>\d{1,2})(?:st|nd|rd|th)? (?:of )?(?P<month>" + _MONTH_RE + r")\b"
    r"(?:,? (?P<year>\d{4}))?",
    re.I,
)
_RETURN_NUMERIC = lazy(
    _RETURN_CUE + r"\b(?P<m>\d{1,2})/(?P<d>\d{1,2})(?:/(?P<y>\d{2,4}))?\b", re.I
)
_UNTIL_RANGE = lazy(
    r"\buntil (?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,? )?(?P<month>" + _MONTH_RE
    + r")\.? (?P<day>\d{1,2})(?:st|nd|rd|th)?(?:,? (?P<year>\d{4}))?",
    re.I,
)

# "traveling for work on July 10-31", "away from September 8 to 19": the last day away
_AWAY_RANGE = lazy(
    r"\b(?:away|travel+ing|vacation|holiday|leave|out of (?:the )?office|absent|off)\b[^.\n]{0,40}?"
    r"(?P<month>" + _MONTH_RE + r")\.? \d{1,2}(?:st|nd|rd|th)?\s*(?:-|–|to|through|until)\s*"
    r"(?P<day>\d{1,2})(?:st|nd|rd|th)?\b(?:,? (?P<year>\d{4}))?",
    re.I,
)
_PAST_GRACE = timedelta(days=30)


def _ooo_subject(subject: str) -> bool:
    """An out-of-office subject: English words here, other languages' from their data files."""
    return bool(_OOO_SUBJECT.search(subject) or autoreply_lang.subject_re().search(subject))


def _ooo_text(text: str) -> bool:
    """Out-of-office wording: English here, other languages' from their data files."""
    return bool(_OOO_TEXT.search(text) or autoreply_lang.text_re().search(text))


@dataclass(frozen=True)
class AutoVerdict:
    """Why a message counts as automatic, and what it tells us."""

    kind: str  # "auto_reply" | "bounce" | "bulk"
    reason: str
    return_date: date | None = None
    failed: tuple[str, ...] = ()


def is_bulk(msg: Message, job_alert_domains: tuple[str, ...] = ()) -> str | None:
    """The reason ``msg`` is bulk or list mail, or None."""
    a = msg.auto
    if a.list_id:
        return f"List-Id {a.list_id}"
    if a.list_unsubscribe:
        return "List-Unsubscribe header"
    if a.precedence in ("bulk", "list", "junk"):
        return f"Precedence: {a.precedence}"
    # Feedback-ID / X-SG-EID alone are not enough: recruiting systems send through the
    # same bulk-mail providers as newsletters do.
    if msg.from_ and _domain_in(msg.from_.domain, job_alert_domains):
        return f"job-board alert sender {msg.from_.domain}"
    return None


def auto_reply(msg: Message, tz: ZoneInfo) -> AutoVerdict | None:
    """An out-of-office or other automatic answer, with its return date when stated."""
    reason = _auto_reason(msg)
    if reason is None:
        return None
    sent = (msg.date.astimezone(tz).date() if msg.date else None)
    return AutoVerdict("auto_reply", reason, return_date=return_date(f"{msg.subject}\n{msg.text}", sent))


def _auto_reason(msg: Message) -> str | None:
    """The first signal that a program wrote ``msg``, strongest first; None for a person."""
    a = msg.auto
    submitted = auto_submitted(msg)
    if submitted not in (None, "no"):
        return f"Auto-Submitted: {a.auto_submitted}"
    if a.x_autoreply:
        return "X-Autoreply header"
    if a.precedence == "auto_reply":
        return "Precedence: auto_reply"
    if receipt(msg):
        return "read receipt"
    if _ooo_subject(msg.subject):
        return f"out-of-office subject {msg.subject[:60]!r}"
    head = msg.text[:2000]
    if _ooo_text(head):
        return "out-of-office wording"
    if _CHALLENGE.search(f"{msg.subject}\n{head}"):
        return "challenge-response request"
    return None


def auto_submitted(msg: Message) -> str | None:
    """The Auto-Submitted keyword without its comment ("auto-replied (vacation)" → "auto-replied")."""
    value = msg.auto.auto_submitted
    if not value:
        return None
    m = _FIRST_TOKEN.match(value.strip().lower())
    return m.group(0) if m else value


def replied(msg: Message) -> bool:
    """``msg`` is an automatic *reply* to a message, even where it also carries Precedence: bulk.

    RFC 3834's auto-replied, X-Autoreply / X-Autorespond, Precedence: auto_reply, or a
    responder's subject or wording, on mail with no list header: vacation responders add
    Precedence: bulk (or junk) to silence other responders, so that alone does not make
    the message list mail. auto-generated mail (notifications) is left to ``is_bulk``.
    """
    a = msg.auto
    if a.list_id or a.list_unsubscribe:
        return False
    if auto_submitted(msg) in _REPLIED_VALUES or a.x_autoreply or a.precedence == "auto_reply":
        return True
    return bool(_ooo_subject(msg.subject) or _ooo_text(msg.text[:2000]))


def receipt(msg: Message) -> bool:
    """A read receipt: a report (multipart/report) or automatic message titled as one, that
    names no failed recipient (a bounce of a message titled "Return receipt" stays a bounce)."""
    if msg.auto.failed_recipients or not _RECEIPT_SUBJECT.search(msg.subject):
        return False
    return msg.auto.is_report or auto_submitted(msg) not in (None, "no") or not msg.text.strip()


def out_of_office(msg: Message) -> bool:
    """An absence notice ("out of the office until …"), a challenge or a read receipt, as
    opposed to an automatic notice that speaks for the company (an ATS's status update, a
    rejection sent by a system): nothing in the former is the company's word."""
    return bool(_ooo_subject(msg.subject) or _ooo_text(msg.text[:2000])
                or receipt(msg) or _CHALLENGE.search(f"{msg.subject}\n{msg.text[:2000]}")
                or return_date(msg.text, None) is not None)


def return_date(text: str, sent: date | None) -> date | None:
    """The date an out-of-office says the person is back (the last one stated).

    A date up to a month before ``sent`` is kept as it is (a responder still running
    the day after the stated return); an earlier one is taken to mean next year.
    """
    text = text[:4000]
    ref = sent or date(1970, 1, 1)
    found: list[date] = []
    for rx in (_RETURN_MONTH_DAY, _RETURN_DAY_MONTH, _UNTIL_RANGE, _AWAY_RANGE):
        for m in rx.finditer(text):
            d = _mk(ref, _MONTHS[m["month"].lower()], int(m["day"]), m["year"])
            if d:
                found.append(d)
    for m in _RETURN_NUMERIC.finditer(text):
        d = _mk(ref, int(m["m"]), int(m["d"]), m["y"])
        if d:
            found.append(d)
    for month, day, year, after in autoreply_lang.return_dates(text):  # other languages' words, from data
        d = _mk(ref, month, day, year)
        if d:
            found.append(d + timedelta(days=after))
    found = [d for d in found if d >= ref - _PAST_GRACE]
    return max(found) if found else None


def _mk(ref: date, month: int, day: int, year: str | None) -> date | None:
    try:
        if year:
            y = int(year)
            y = y + 2000 if y < 100 else y
            return date(y, month, day)
        d = date(ref.year, month, day)
        if d < ref - _PAST_GRACE:  # "back on January 5" written in December
            d = date(ref.year + 1, month, day)
        return d
    except ValueError:
        return None


def _domain_in(domain: str, domains: tuple[str, ...]) -> bool:
    """``domain`` is one of ``domains`` or below one ("mail.acme.com" under "acme.com")."""
    names = _domain_set(domains)
    while True:
        if domain in names:
            return True
        dot = domain.find(".")
        if dot < 0:
            return False
        domain = domain[dot + 1:]


@functools.lru_cache(maxsize=64)
def _domain_set(domains: tuple[str, ...]) -> frozenset[str]:
    # a few configured lists, each asked about for every message of a cold poll
    return frozenset(domains)


def local_date(dt: datetime | None, tz: ZoneInfo) -> date | None:
    return dt.astimezone(tz).date() if dt else None
