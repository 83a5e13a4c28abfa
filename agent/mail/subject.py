"""Subjects compared as people read them: without reply/forward prefixes and tags.

Its own module because the model (``Conversation.subject``), the threading,
the company reader and the drafts all need the base subject, and the model
must not import the threading (which imports the model).
"""

from __future__ import annotations

import re

from agent.lazy_pattern import lazy

_PREFIX_WORDS = (
    "re|aw|antw|antwort|sv|vs|odp|res|rif|ref|réf|r|"
    "fwd?|fw|wg|tr|rv|enc|vl|doorst|i|"
    "回复|回覆|答复|转发|轉寄"
)
# a reply/forward prefix: word, optional counter "[2]" / "(2)" / "^2", colon
_PREFIX = lazy(
    rf"^(?:{_PREFIX_WORDS})\s*(?:\[\d+\]|\(\d+\)|\^\d+)?\s*[:：]\s*", re.IGNORECASE
)
# a leading bracket tag: "[EXTERNAL]", "[Ext]", "[acme-jobs]"
_BLOB = lazy(r"^\[[^\[\]]*\]\s*")
_TRAILER = lazy(r"\s*\((?:fwd?|fw)\)\s*$", re.IGNORECASE)
_FWD_WRAP = lazy(r"^\[(?:fwd?|fw)\s*:\s*(.*)\]$", re.IGNORECASE | re.DOTALL)
_WS = lazy(r"\s+")


def base_subject(subject: str) -> str:
    """The subject without reply/forward prefixes, bracket tags or ``(fwd)`` trailers.

    In the spirit of RFC 5256's base subject, extended to the prefixes
    non-English clients write (AW:, WG:, SV:, Antw:, Réf:, …) and to tags like
    ``[EXTERNAL]`` that mail gateways add. A bracket tag that is the whole
    subject is kept (it is then the subject). Case is kept: this is also the
    subject the user sees in ``status``.
    """
    s = _WS.sub(" ", subject or "").strip()
    if not s or (s[0] != "[" and s[-1] != ")" and ":" not in s and "：" not in s):
        return s  # no colon, no leading bracket, no trailing ")": no prefix, tag or trailer
    return _strip_prefixes(s)


def _strip_prefixes(s: str) -> str:
    while True:
        before = s
        s = _TRAILER.sub("", s)
        m = _FWD_WRAP.match(s)
        if m:
            s = m.group(1).strip()
        s = _PREFIX.sub("", s)
        blob = _BLOB.match(s)
        if blob and s[blob.end() :].strip():
            s = s[blob.end() :]
        s = s.strip()
        if s == before:
            return s
