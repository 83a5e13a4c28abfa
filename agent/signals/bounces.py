"""Bounces: a mail system saying the user's message was not delivered, or not yet.

A bounce is never somebody's answer: the silence goes on. A final one makes
the failed address unusable (no draft is ever addressed to it again); a
delayed one ("will retry for 46 more hours") is only noted, since the message
may still arrive.

The parser (agent/mail/dsn.py) marks a message as a delivery report and
reads the recipients its structure names (``message/delivery-status`` blocks,
``X-Failed-Recipients``, flufl.bounce's detectors). Some reports name their
recipient only in prose ("Your message to kijitora@example.jp couldn't be
delivered"); for those, the addresses the user wrote to that the report's text
names (:func:`bounced_in`, given the conversation's recipients), final or
delayed by the report's own wording.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from agent.lazy_pattern import lazy
from agent.mail import dsn
from agent.model import Message
from agent.signals.autoreply import receipt

_ADDRESS = lazy(r"[\w.+'=-]+@[\w-]+(?:\.[\w-]+)+")
#: a report that says delivery goes on: the server retries
_DELAY = lazy(
    r"\b(delay(ed)?|warning|will (continue to )?(re)?try|still (being )?(retried|trying)|"
    r"not (yet )?been delivered yet|has not yet been delivered|no action is required|"
    r"will be retried)\b",
    re.I,
)
#: a report that says delivery is over, whatever else it says
_FINAL = lazy(
    r"\b(permanent(ly)?|(?<!non-)fatal|giving up|gave up|failed permanently|retry (time(out)?|period) "
    r"(exceeded|expired)|could not be delivered to|undeliverable|(message|mail) (was )?returned|rejected)\b",
    re.I,
)


@dataclass(frozen=True)
class Bounced:
    """A delivery report: the addresses that failed for good, those only delayed."""

    reason: str
    failed: tuple[str, ...] = ()
    delayed: tuple[str, ...] = ()
    kind: str = "bounce"


def bounce(msg: Message) -> Bounced | None:
    """A delivery report, with the recipients its structure names (see the module docstring).

    Besides what the parser marked: a report-like subject on an automatic message
    (Auto-Submitted), as before.
    """
    a = msg.auto
    if receipt(msg):  # a read receipt is a report too, but of no failure
        return None
    if not (a.is_report or a.failed_recipients or a.delayed_recipients or _system(msg)
            or (dsn.report_subject(msg.subject) and a.auto_submitted not in (None, "no"))):
        return None
    delayed = tuple(x for x in a.delayed_recipients if x not in a.failed_recipients)
    return Bounced("delivery failure report", tuple(a.failed_recipients), delayed)


def bounced_in(msg: Message, written_to: Collection[str]) -> Bounced | None:
    """:func:`bounce`, and when the report's structure names none of ``written_to`` (whom the
    user wrote to in the conversation), those of them its text names: delayed when its
    structure said "delayed", or (naming nobody) its words say only that; else failed.

    The structure can name an address the user never wrote to: an alias's expansion, or a
    detector that took the host a relay failed at for the recipient's domain.
    """
    b = bounce(msg)
    wrote = {w.lower() for w in written_to}
    if b is None or not wrote or wrote & {*b.failed, *b.delayed}:
        return b
    named = {x.lower() for x in _ADDRESS.findall(f"{msg.subject}\n{msg.text}")}
    found = tuple(sorted(named & wrote))
    if not found:
        return b
    if (b.delayed and not b.failed) or (not b.failed and _delayed_only(msg)):
        return Bounced("delivery delayed (read from its text)", delayed=found)
    return Bounced("delivery failure (read from its text)", failed=found)


def _delayed_only(msg: Message) -> bool:
    said = f"{msg.subject}\n{msg.text[:3000]}"
    return dsn.warning_only(said) or (bool(_DELAY.search(said)) and not _FINAL.search(said))


def _system(msg: Message) -> bool:
    return msg.from_ is not None and dsn.system_sender(msg.from_.local, msg.from_.name)


def addresses(msg: Message) -> tuple[str, ...] | None:
    """Every address a report's structure names as failed or delayed; None for any other message."""
    b = bounce(msg)
    return (*b.failed, *b.delayed) if b is not None else None
