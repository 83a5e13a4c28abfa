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
(the stdlib also ends lines there), an empty first line, a first line that
is a continuation, a Unix ``From `` line, a line that is neither a field nor
a continuation (the stdlib records a defect and starts the body there), a
field with an empty name. The caller then runs the stdlib parser, so the
result is always identical; only ordinary blocks are faster.
"""

from __future__ import annotations

import re

__all__ = ["split_header_block"]

# One field at the start of a line: its name, then its value, which is the rest of
# its first line after leading blanks plus its continuation lines (each with the
# line break before it). Every CR in a block we accept is followed by LF, so a
# line's text is [^\r\n]* and its end \r?\n: the match is unambiguous, and what
# it leaves out (the blanks after ":" and the last line break) is exactly what
# compat32's ``header_source_parse`` strips.
_FIELD = re.compile(
    r"^([\x21-\x39\x3b-\x7e]+):[ \t]*([^\r\n]*(?:\r?\n[ \t][^\r\n]*)*)\r?\n", re.MULTILINE
)


def split_header_block(data: bytes) -> tuple[list[tuple[str, str]], bool] | None:
    """The ``(name, raw value)`` pairs of the header block, as compat32 stores them.

    The flag is True when every value is one line of ASCII (then no value
    needs unfolding or 8-bit decoding). ``None`` when the block needs the
    stdlib parser (see the module docstring).
    """
    if not data or b"\x00" in data or data[:1] in (b"\r", b"\n"):
        return None
    end = len(data)
    for sep in (b"\n\n", b"\n\r\n"):
        i = data.find(sep)
        if 0 <= i < end:
            end = i + 1  # keep the newline that ends the last header line
    block = data[:end]
    if block.count(b"\r") != block.count(b"\r\n"):
        return None  # a bare CR: the stdlib parser ends a line there
    text = block.decode("ascii", "surrogateescape")
    if not text.endswith("\n"):
        text += "\n"  # the last line of an unterminated block (its break is stripped anyway)
    if text[0] in " \t":
        return None  # the first line is a continuation
    fields = _FIELD.findall(text)
    # Matches start at line starts and take whole lines: a field line and the
    # continuation lines after it. Lines = fields + continuation lines holds
    # exactly when no line is anything else.
    continued = text.count("\n ") + text.count("\n\t")
    if len(fields) + continued != text.count("\n"):
        return None
    return fields, not continued and text.isascii()
