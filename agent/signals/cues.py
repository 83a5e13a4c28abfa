"""Evidence for and against tracking a conversation, as weighted *cues*.

The tracking decision (agent/signals/recruiting.py) weighs two kinds of
evidence: that the conversation is about the user's own candidacy with an
employer (agent/signals/candidacy.py), and that it only looks like one — a
podcast booking, a dental appointment, a panel the user sits on at their own
employer (agent/signals/lookalike.py). Both are tables of :class:`Rule`
(a pattern, a weight, the side of the conversation it is read on); this
module holds the types and the one scan that applies a table to the texts of
a conversation.

Each rule counts once per conversation however often it matches: ten
mentions of "podcast" say no more than one. The texts are the new text of
each message (quoted history is never evidence), its subject, its signature
and the summary and description of its invitations; the user's own messages
are read separately, since the user's words ("thanks for having me on the
show") are evidence too.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from agent.model import Message

COMPANY, USER, EITHER = "company", "user", "either"
#: only the subjects of the company side's messages (where a job title means a job)
SUBJECT = "subject"

#: characters of a message's new text that the rules read
TEXT_CAP = 6000


@dataclass(frozen=True)
class Rule:
    """One pattern worth ``weight`` towards ``kind`` when it matches on ``side``."""

    kind: str  # "candidacy", or a look-alike category ("podcast", "rental", …)
    name: str  # what the rule says, for reasons ("podcast words")
    source: str  # the regular expression, compiled on first use (see :attr:`pattern`)
    weight: int
    side: str = EITHER  # COMPANY | USER | EITHER

    @property
    def pattern(self) -> re.Pattern[str]:
        """The compiled pattern: case-insensitive, ``^`` at every line's start.

        Compiled when first read, not when the tables are built: the tables hold about 90
        rules whose compilation cost 0.05-0.1 s in every process at import, and a warm poll
        over cached facts never reads them.
        """
        return _compiled(self.source)


@dataclass(frozen=True)
class Cue:
    """A rule that matched, with where: the evidence behind a verdict."""

    kind: str
    name: str
    weight: int
    message_id: str
    quote: str


def rule(kind: str, name: str, pattern: str, weight: int, side: str = EITHER) -> Rule:
    """A rule; the pattern is case-insensitive, and ``^`` matches at every line's start."""
    return Rule(kind, name, pattern, weight, side)


@functools.cache
def _compiled(source: str) -> re.Pattern[str]:
    # re's own cache holds only 512 entries shared with every other caller: keep these for good
    return re.compile(source, re.I | re.M)


def texts_of(m: Message) -> Iterator[str]:
    """What a message says in its own words: subject, new text, signature, invitations."""
    if m.subject:
        yield m.subject
    if m.text:
        yield m.text[:TEXT_CAP]
    if m.signature:
        yield m.signature
    for ev in m.calendar:
        yield ev.summary
        if ev.description:
            yield ev.description


def scan(rules: Iterable[Rule], company: Iterable[Message], user: Iterable[Message]) -> list[Cue]:
    """Every rule that matches on its side, once, with the first place it matched."""
    sides = {COMPANY: list(company), USER: list(user)}
    sides[EITHER] = sides[COMPANY] + sides[USER]
    texts: dict[str, list[tuple[Message, str]]] = {
        side: [(m, t) for m in msgs for t in texts_of(m)] for side, msgs in sides.items()
    }
    texts[SUBJECT] = [(m, m.subject) for m in sides[COMPANY] if m.subject]
    out: list[Cue] = []
    for r in rules:
        for m, text in texts[r.side]:
            hit = r.pattern.search(text)
            if hit:
                out.append(Cue(r.kind, r.name, r.weight, m.message_id, _around(text, hit)))
                break
    return out


def _around(text: str, hit: re.Match[str], width: int = 50) -> str:
    """The matched words with a little context, on one line, for ``explain``."""
    a, b = max(0, hit.start() - width), min(len(text), hit.end() + width)
    snippet = " ".join(text[a:b].split())
    return ("…" if a else "") + snippet + ("…" if b < len(text) else "")


def total(cues: Iterable[Cue], kind: str) -> int:
    return sum(c.weight for c in cues if c.kind == kind)
