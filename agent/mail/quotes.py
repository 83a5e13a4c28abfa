"""Strip quoted replies and sign-offs from a message body.

The policy says quoted text is never evidence: a company's reply that carries
the user's own follow-up below it must not be read as the company stating a
timeline twice, and a bounce must not "say" what the bounced message said.
So before the signals read a body we keep only the newest reply.

Two layers do this. The maintained ``mail-parser-reply`` library knows the
reply headers of many mail clients and languages and finds sign-offs; our own
line-based fallback catches what it misses (Outlook's ``From: ... Sent: ...``
blocks, attributions wrapped over several lines, ``>`` lines, forwarded
blocks). The fallback runs first and last: it is linear in the input, and
cutting the quoted bulk first keeps the library's regular expressions (some
of which are quadratic in a line's length) on small, ordinary input. The
library is skipped altogether for input shaped to make it slow.
"""

from __future__ import annotations

import re
from typing import Any

from agent.lang import supported
from agent.lazy_pattern import lazy
from agent.mail.quote_markers import markers

__all__ = ["MAX_SIGNATURE", "lib_languages", "split_reply", "strip_quoted"]

#: Characters kept of a message's sign-off block (a name, a title, a company, a phone number).
MAX_SIGNATURE = 400

#: Languages whose reply headers and sign-offs the library is asked to look for: the languages the
#: agent reads (agent/lang: a folder of data each) that the library knows too.
def lib_languages() -> tuple[str, ...]:
    from mailparser_reply.constants import MAIL_LANGUAGES

    return tuple(code for code in supported() if code in MAIL_LANGUAGES)

# Limits that keep mail-parser-reply fast: some of its patterns backtrack
# quadratically in the length of a line that starts like an attribution.
_LIB_MAX_CHARS = 32 * 1024
_LIB_MAX_LINE = 1000
_LIB_TRIGGER_BUDGET = 2_000_000  # sum of squared lengths of attribution-like lines
_TRIGGER_LINE = lazy(r"^[>\s]*(?:on|am|le|el|il|dne|den|op|em)\s", re.IGNORECASE)

# What the first line of a sign-off looks like when the library finds one.
_SIGNOFF_ONLY = lazy(
    r"^(?:best|best regards|kind regards|warm regards|regards|many thanks|thanks|thank you"
    r"|thanks again|cheers|sincerely|yours sincerely|all the best|best wishes|talk soon"
    r"|mit freundlichen gr(?:ü|ue)(?:ß|ss)en|viele gr(?:ü|ue)(?:ß|ss)e|beste gr(?:ü|ue)(?:ß|ss)e"
    r"|cordialement|bien cordialement|salutations|saludos|un saludo|atentamente|cordialmente)"
    r"\s*[,.!]?$",
    re.IGNORECASE,
)
_SIGNOFF_TAIL = 8
_SIGNOFF_LINE = lazy(r"^(?:--\s*|__\s*|[\w.'’ -]{1,40},?)$")
_SENT_FROM = lazy(
    r"^(?:sent from|get outlook|gesendet von|envoy[ée] depuis|enviado desde)\b", re.IGNORECASE
)


def strip_quoted(text: str) -> str:
    """Return only the newest reply in ``text``: no quotes, attributions, sign-off.

    Never raises; on any trouble inside the library the fallback's result is
    returned, which is always at least as short as the input.
    """
    return split_reply(text)[0]


def split_reply(text: str) -> tuple[str, str]:
    """The newest reply in ``text`` as (body, signature).

    ``body`` is :func:`strip_quoted`'s result; ``signature`` is the sign-off
    block cut off its end ("Best,\nMaya Okafor\nTechnical Recruiter | Corvid
    Labs"), at most :data:`MAX_SIGNATURE` characters, empty when none was cut.
    Why keep it: the signature names the writer's company and title, which
    the signals read (company names, who writes for whom) but must not take
    for body text. It never holds quoted text: it is cut from the newest reply
    only, and any quote header or ``>`` line inside it is dropped again.
    """
    text = _normalise(text)
    text = _fallback(text)
    text, by_library = _library(text)
    text = _fallback(text)
    text, by_signoff = _cut_signoff(text)
    return text.strip(), _signature(by_signoff, by_library)


def _signature(*blocks: str) -> str:
    """The cut blocks (in text order), without quotes or a bare "--" delimiter, capped."""
    lines = _fallback("\n".join(b.strip() for b in blocks if b.strip())).split("\n")
    while lines and lines[0].strip() in ("--", "__", "-- "):
        lines = lines[1:]
    return "\n".join(lines).strip()[:MAX_SIGNATURE].strip()


def _normalise(text: str) -> str:
    """Unify line ends and collapse blank-line runs (a quadratic trigger upstream)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    lines = [line.rstrip() for line in text.split("\n")]
    out: list[str] = []
    blank = 0
    for line in lines:
        if line.strip():
            blank = 0
            out.append(line)
        else:
            blank += 1
            if blank <= 1:
                out.append("")
    return "\n".join(out)


def _fallback(text: str) -> str:
    """Cut at the first quote header and drop ``>`` lines; linear in the input.

    A reply written under its quote ("On ... wrote:", then ``>`` lines, then
    the answer: bottom-posting and inline answers) has nothing above the
    header; its new text is then the lines between and after the ``>`` lines.
    """
    lines = text.split("\n")
    cut = _quote_start(lines)
    kept = [line for line in lines[:cut] if not _quoted(line)]
    if not any(line.strip() for line in kept) and _prefixed_quote_follows(lines, cut):
        return _answers_below(lines[cut + 1 :])
    return "\n".join(kept).strip()


def _quoted(line: str) -> bool:
    return line.lstrip().startswith(">")


def _quote_start(lines: list[str]) -> int:
    """Index of the first line that starts quoted history (``len(lines)`` when none)."""
    for i, line in enumerate(lines):
        bare = line.strip()
        if not bare or _quoted(line):
            continue
        if markers().separator.match(bare) or _attribution_at(lines, i):
            return i
        if markers().from_line.match(bare) and _followed_by_headers(lines, i):
            return i - 1 if i > 0 and markers().underscores.match(lines[i - 1]) else i
    return len(lines)


def _attribution_at(lines: list[str], i: int) -> bool:
    """Whether an attribution starts at line ``i``, joining up to three wrapped lines.

    The window never joins a blank line or a ``>`` line (a body line "On
    Thursday." above a quoted attribution is no attribution), and a line whose
    successor starts an attribution of its own leaves the match to it ("Am
    heutigen Tage" above "Am So., 1. Jan. 2023 um 17:22 Uhr schrieb ...").
    """
    bare = lines[i].strip()
    if not markers().attribution_start.match(bare) or len(bare) > 600:
        return False
    window = bare
    for j in range(i, min(i + 3, len(lines))):
        if j > i:
            nxt = lines[j].strip()
            if not nxt or _quoted(lines[j]) or _starts_own_attribution(lines, j):
                return False
            window = f"{window} {nxt}"
        if len(window) > 800:
            return False
        if markers().attribution.match(window):
            return True
    return False


def _starts_own_attribution(lines: list[str], j: int) -> bool:
    """Whether line ``j`` alone (or wrapped from it) is an attribution."""
    bare = lines[j].strip()
    if not markers().attribution_start.match(bare):
        return False
    window = bare
    for k in range(j, min(j + 3, len(lines))):
        if k > j:
            window = f"{window} {lines[k].strip()}"
        if markers().attribution.match(window):
            return True
    return False


def _prefixed_quote_follows(lines: list[str], cut: int) -> bool:
    """Whether the first non-blank line after the header at ``cut`` is a ``>`` line.

    The header's own wrapped lines (an attribution over two or three lines)
    are skipped; a header followed by unprefixed text is not bottom-posting
    (clients like Outlook quote without ``>``), so nothing below it is new.
    """
    rest = [line for line in lines[cut + 1 : cut + 5] if line.strip()]
    for line in rest[:3]:
        if _quoted(line):
            return True
        if not (line.rstrip().endswith(":") or "@" in line):
            return False
    return False


def _answers_below(lines: list[str]) -> str:
    """The unquoted lines of a bottom-posted or inline reply, up to any further header."""
    answers = [line for line in lines if not _quoted(line)]
    cut = _quote_start(answers)
    return "\n".join(answers[:cut]).strip()


def _cut_signoff(text: str) -> tuple[str, str]:
    """Drop a trailing sign-off block ("Best,\nJane\nRecruiter") the library left.

    Only a line that is nothing but a sign-off counts, and only when at most
    :data:`_SIGNOFF_TAIL` non-empty lines follow it, so body text is never lost.
    Returns the text kept and the block cut ("" when none).
    """
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if i > 0 and line.strip() in ("--", "-- "):
            return "\n".join(lines[:i]).rstrip(), "\n".join(lines[i + 1 :])
    for i in range(len(lines) - 1, 0, -1):
        if _SIGNOFF_ONLY.match(lines[i].strip()):
            tail = [x for x in lines[i + 1 :] if x.strip()]
            if len(tail) <= _SIGNOFF_TAIL:
                return "\n".join(lines[:i]).rstrip(), "\n".join(lines[i:])
            break
    return text, ""


def _followed_by_headers(lines: list[str], i: int) -> bool:
    """True when a quoted header block follows a From line within four lines.

    "Sent:" or "Subject:" (and their translations) settle it; "Date:" only
    counts when the From line holds an address, so that a scheduling note
    like "From: 10am / Date: June 5" is not taken for a quote.
    """
    has_address = "@" in lines[i]
    for j in range(i + 1, min(i + 5, len(lines))):
        bare = lines[j].strip()
        if markers().sent_line.match(bare) or (has_address and markers().date_line.match(bare)):
            return True
    return False


def _library_safe(text: str) -> bool:
    """Whether ``text`` is small and plain enough for mail-parser-reply's regexes."""
    if len(text) > _LIB_MAX_CHARS:
        return False
    cost = 0
    for line in text.split("\n"):
        if len(line) > _LIB_MAX_LINE:
            return False
        if _TRIGGER_LINE.match(line):
            cost += len(line) ** 2
            if cost > _LIB_TRIGGER_BUDGET:
                return False
    return True


def _library(text: str) -> tuple[str, str]:
    """The newest reply according to mail-parser-reply, sign-off removed when safe.

    Returns the reply and the sign-off block it cut ("" when none).

    The library treats a line starting with "Thanks," or "Best," as the start
    of a signature and drops everything after it; a recruiter's "Thanks, we
    will decide by Friday." would lose its timeline. So its signature cut is
    only accepted when the first signature line looks like a bare sign-off.
    """
    if not text or not _library_safe(text):
        return text, ""
    try:
        from mailparser_reply.parser import EmailMessage

        message: Any = EmailMessage(
            text=text, languages=list(lib_languages()), keep_hyphen_lists=True
        ).read()
        if not message.replies:
            return text, ""
        replies = message.replies
        reply = replies[0]
        first_header = str(reply.headers or "")
        if not first_header and len(replies) > 1:
            first_header = str(replies[1].headers or "")
        if first_header and not _plausible_header(first_header):
            return text, ""
        content = str(reply.content or "")
        headers = str(reply.headers or "")
        if headers:
            content = content.replace(headers, "")
        signature = str(reply.signatures or "")
        cut = ""
        if signature and _looks_like_signoff(signature):
            idx = content.rfind(signature)
            if idx >= 0:
                content, cut = content[:idx], content[idx:]
        return content.strip(), cut
    except Exception:  # the library is third-party code fed hostile text
        return text, ""


def _plausible_header(header: str) -> bool:
    """Whether a reply header the library found really introduces a quote.

    Its Outlook pattern takes any two lines like "From: 10am" / "To: 11am"
    for a header block and would drop the rest of a scheduling mail.
    """
    return bool(markers().plausible_header.search(header)) or (
        "@" in header and bool(markers().date_line.search(header))
    )


def _looks_like_signoff(signature: str) -> bool:
    """True when a signature block starts with a bare sign-off line ("Best,", "-- ")."""
    for line in signature.split("\n"):
        bare = line.strip().lstrip(">").strip()
        if not bare:
            continue
        if _SENT_FROM.match(bare):
            return True
        if len(bare.split()) > 5:
            return False
        if re.search(r"[.!?]\s*\S", bare) or bare.endswith((".", "!", "?")):
            return False
        return bool(_SIGNOFF_LINE.match(bare))
    return False
