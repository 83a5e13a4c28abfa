"""Automatic replies, bounces and bulk mail: messages that are not a person answering.

An out-of-office is *not* a reply (the silence goes on), but its return date
matters: the next draft waits until after it. A bounce makes an address
unusable. Bulk and list mail is never a conversation.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from agent.model import Message
from agent.signals.bounces import bounce  # noqa: F401  (moved there; re-exported for its callers)

_OOO_SUBJECT = re.compile(
    r"\b(out of (the )?office|automatic reply|auto(matic)?[- ]?reply|autoreply|abwesenheit|"
    r"absence|away from (the )?office|on vacation|on leave|r[ée]ponse automatique|"
    r"respuesta autom[aá]tica|ooo)\b",
    re.I,
)
_OOO_TEXT = re.compile(
    r"\b(i am|i'm|i will be) (currently )?(out of (the )?office|away|on (annual )?leave|"
    r"on vacation|on holiday|travelling|traveling|offline|ooo)\b|"
    r"\b(limited|no) access to (my )?e-?mail\b|\bwill (respond|reply|get back)[^.]{0,40}\bwhen I return\b|"
    r"\bthis is an automatic reply\b",
    re.I,
)
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
_RETURN_MONTH_DAY = re.compile(
    _RETURN_CUE
    + r"\b(?:on |until |by |from |after )?(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,? )?"
    r"(?P<month>" + _MONTH_RE + r")\.? (?P<day>\d{1,2})(?:st|nd|rd|th)?(?:,? (?P<year>\d{4}))?\b",
    re.I,
)
_RETURN_DAY_MONTH = re.compile(
    _RETURN_CUE + r"\b(?P<day>\d{1,2})(?:st|nd|rd|th)? (?:of )?(?P<month>" + _MONTH_RE + r")\b"
    r"(?:,? (?P<year>\d{4}))?",
    re.I,
)
_RETURN_NUMERIC = re.compile(
    _RETURN_CUE + r"\b(?P<m>\d{1,2})/(?P<d>\d{1,2})(?:/(?P<y>\d{2,4}))?\b", re.I
)
_UNTIL_RANGE = re.compile(
    r"\buntil (?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,? )?(?P<month>" + _MONTH_RE
    + r")\.? (?P<day>\d{1,2})(?:st|nd|rd|th)?(?:,? (?P<year>\d{4}))?",
    re.I,
)


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
    a = msg.auto
    reason = None
    if a.auto_submitted not in (None, "no"):
        reason = f"Auto-Submitted: {a.auto_submitted}"
    elif a.x_autoreply:
        reason = "X-Autoreply header"
    elif a.precedence == "auto_reply":
        reason = "Precedence: auto_reply"
    elif _OOO_SUBJECT.search(msg.subject):
        reason = f"out-of-office subject {msg.subject[:60]!r}"
    elif _OOO_TEXT.search(msg.text[:2000]):
        reason = "out-of-office wording"
    if reason is None:
        return None
    sent = (msg.date.astimezone(tz).date() if msg.date else None)
    return AutoVerdict("auto_reply", reason, return_date=return_date(msg.text, sent))


def out_of_office(msg: Message) -> bool:
    """An absence notice ("out of the office until …"), as opposed to an automatic notice that
    speaks for the company (an ATS's status update, a rejection sent by a system)."""
    return bool(_OOO_SUBJECT.search(msg.subject) or _OOO_TEXT.search(msg.text[:2000])
                or return_date(msg.text, None) is not None)


def return_date(text: str, sent: date | None) -> date | None:
    """The date an out-of-office says the person is back (the last one stated)."""
    text = text[:4000]
    ref = sent or date(1970, 1, 1)
    found: list[date] = []
    for rx in (_RETURN_MONTH_DAY, _RETURN_DAY_MONTH, _UNTIL_RANGE):
        for m in rx.finditer(text):
            d = _mk(ref, _MONTHS[m["month"].lower()], int(m["day"]), m["year"])
            if d:
                found.append(d)
    for m in _RETURN_NUMERIC.finditer(text):
        d = _mk(ref, int(m["m"]), int(m["d"]), m["y"])
        if d:
            found.append(d)
    found = [d for d in found if d >= ref]
    return max(found) if found else None


def _mk(ref: date, month: int, day: int, year: str | None) -> date | None:
    try:
        if year:
            y = int(year)
            y = y + 2000 if y < 100 else y
            return date(y, month, day)
        d = date(ref.year, month, day)
        if d < ref:  # "back on January 5" written in December
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
