"""Split a header block the way the stdlib parser does, without the stdlib parser.

A cold poll parses the header block of every message in the mailbox, and
``BytesParser(policy=compat32).parsebytes(data, headersonly=True)`` spends
most of its time in the feed parser's line machinery. For an ordinary block
the result is simple to state:

* the bytes are read as ASCII with ``surrogateescape`` (8-bit bytes become
  lone surrogates, which ``agent.mail.parse`` turns back into text);
* lines end at ``\\r\\n`` or ``\\n``; the headers end at the first empty line
  (or at the end of the data);
* a line starting with a space or tab continues the field before it; any
  other line is ``name:value`` where the name is printable ASCII without
  ``:`` or space;
* the stored value (``raw_items()``) is the rest of the first line with
  leading spaces and tabs removed, plus every continuation line verbatim,
  with the trailing CR/LF characters of the last line stripped.

:func:`split_header_block` returns exactly those ``(name, value)`` pairs, or
``None`` whenever the block is anything but ordinary: NUL bytes, a bare CR
(the stdlib also ends lines there), CRLF and LF lines mixed in one block, an
empty first line, a first line that is a continuation, a Unix ``From `` line,
a line that is neither a field nor a continuation (the stdlib records a
defect and starts the body there), a field with an empty name or a blank
before its colon. The caller then runs the stdlib parser, so the result is
always identical; only ordinary blocks are faster. ``tests/test_parse_fast.py``
compares the two routes.
"""

from __future__ import annotations

import re

from agent.lazy_pattern import lazy

__all__ = ["split_header_block"]

# The end of the header block: the first empty line.
_BLANK_LINE = re.compile(rb"\n\r?\n")
# One field at the start of a line: its name, then its value, which is the rest of
# its first line after leading blanks plus its continuation lines (each with the
# line break before it), without the break that ends its last line: exactly what
# compat32's ``header_source_parse`` keeps. One pattern per line-break style; a
# block must use one style throughout. In the CRLF pattern a line's text stops at
# any CR, which must then begin its CRLF: a line holding a bare CR (where the
# stdlib parser would end it) is never matched, so it fails the coverage check.
_FIELD_LF = lazy(
    r"^([\x21-\x39\x3b-\x7e]+):[ \t]*([^\n]*(?:\n[ \t][^\n]*)*)\n", re.MULTILINE
)
_FIELD_CRLF = lazy(
    r"^([\x21-\x39\x3b-\x7e]+):[ \t]*([^\r]*(?:\r\n[ \t][^\r]*)*)\r\n", re.MULTILINE
)


def split_header_block(data: bytes) -> tuple[list[tuple[str, str]], str, bool, bool] | None:
    """``(fields, newline, folded, is_ascii)`` for an ordinary header block, else ``None``.

    ``fields`` are the ``(name, raw value)`` pairs exactly as compat32's
    ``raw_items()`` gives them; ``newline`` is the block's one line-break
    style (``"\r\n"`` or ``"\n"``): a value's folds are ``newline``
    followed by a space or tab. ``folded``: some value has a fold;
    ``is_ascii``: the block is ASCII (else some value holds 8-bit bytes, as
    surrogates). ``None`` when the block needs the stdlib parser (see the
    module docstring; a block mixing CRLF and LF lines is sent there too).
    """
    if not data or b"\x00" in data or data[0] in (13, 10):  # starts with CR or LF
        return None
    found = _BLANK_LINE.search(data)
    block = data[: found.start() + 1] if found else data  # with the last line's break
    lines = block.count(b"\n")
    returns = block.count(b"\r")
    if not returns:
        newline, pattern = "\n", _FIELD_LF
    elif returns == lines:
        # The pattern takes a CR only as part of a CRLF, so once every line is
        # covered every CR ends a line; as many CRs as LFs: so does every LF.
        newline, pattern = "\r\n", _FIELD_CRLF
    else:
        return None  # mixed line breaks
    text = block.decode("ascii", "surrogateescape")
    if not text.endswith("\n"):
        text += newline  # the unterminated last line (compat32 strips the break anyway)
        lines += 1
    fields = pattern.findall(text)
    # Matches start at line starts and take whole lines: a field line and its
    # continuation lines (one "\n" each inside the value). Every line is covered
    # exactly when no line is anything else (a first line that is a continuation,
    # a Unix "From " line, a line without a field name, a bare CR...).
    if len(fields) == lines:
        return fields, newline, False, block.isascii()
    continued = "".join([value for _, value in fields]).count("\n")
    if not continued or len(fields) + continued != lines:
        return None
    return fields, newline, True, block.isascii()
