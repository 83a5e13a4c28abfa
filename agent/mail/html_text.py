"""The visible text of an HTML body part, without its quoted earlier messages.

Apart from :mod:`agent.mail.parse` because only a full message's body needs it:
a poll that reads header blocks alone (most polls) does not load the stdlib's
HTML parser.
"""

from __future__ import annotations

from html.parser import HTMLParser

from agent.lazy_pattern import lazy

_WS = lazy(r"\s+")
_LONE_LT = lazy(r"<(?![^<>]*>)")
# Elements that start on a new line, and those that also leave a blank line around them.
_LINE_TAGS = frozenset(
    {"address", "article", "aside", "dd", "div", "dl", "dt", "footer", "form", "header", "hr"}
    | {"li", "main", "nav", "section", "tr", "center"}
)
_PARAGRAPH_TAGS = frozenset(
    {"p", "pre", "table", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote"}
)
_INVISIBLE_TAGS = frozenset({"script", "style", "title", "template"})
_QUOTE_CLASSES = frozenset(
    {
        "gmail_quote",
        "gmail_quote_container",
        "gmail_extra",
        "gmail_signature",
        "yahoo_quoted",
        "moz-cite-prefix",
        "protonmail_quote",
    }
)
# Outlook puts the quoted message after one of these, as siblings: stop there.
_STOP_IDS = frozenset(
    {"divrplyfwdmsg", "appendonsend", "mail-editor-reference-message-container", "stopspelling"}
)


class _HTMLText(HTMLParser):
    """Collects visible text; block elements become line breaks; quotes are dropped.

    Line breaks follow what a browser shows: a block element starts a new
    line (without piling up empty ones), ``<br>`` always breaks, paragraphs
    and lists leave one blank line. Gmail's ``<div><br></div>`` is a blank line.
    """

    def __init__(self, limit: int) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.tail = ""  # the last two characters emitted
        self.size = 0
        self.limit = limit
        self.skip_tag = ""
        self.skip_depth = 0
        self.invisible = 0
        self.pre = 0
        self.stopped = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.stopped:
            return
        if self.skip_depth:
            if tag == self.skip_tag:
                self.skip_depth += 1
            return
        attr = {k.lower(): (v or "") for k, v in attrs}
        if attr.get("id", "").strip().lower() in _STOP_IDS:
            self.stopped = True
            return
        classes = set(attr.get("class", "").lower().split())
        if tag == "blockquote" or classes & _QUOTE_CLASSES:
            self.skip_tag = tag
            self.skip_depth = 1
            return
        if tag in _INVISIBLE_TAGS:
            self.invisible += 1
        elif tag == "body":
            self.invisible = 0  # an unclosed <title> or <style> must not hide the body
        elif tag == "pre":
            self.pre += 1
        self._boundary(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not (self.stopped or self.skip_depth):
            self._boundary(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.stopped:
            return
        if self.skip_depth:
            if tag == self.skip_tag:
                self.skip_depth -= 1
            return
        if tag in _INVISIBLE_TAGS:
            self.invisible = max(0, self.invisible - 1)
        elif tag == "pre":
            self.pre = max(0, self.pre - 1)
        if tag not in ("br", "td", "th"):
            self._boundary(tag)

    def handle_data(self, data: str) -> None:
        if self.stopped or self.skip_depth or self.invisible:
            return
        self._emit(data if self.pre else _WS.sub(" ", data))

    def _boundary(self, tag: str) -> None:
        if tag == "br":
            self._emit("\n", force=True)
        elif tag in _PARAGRAPH_TAGS:
            self._ensure_breaks(2)
        elif tag in _LINE_TAGS:
            self._ensure_breaks(1)
        elif tag in ("td", "th"):
            self._emit(" ")

    def _ensure_breaks(self, count: int) -> None:
        if not self.parts:
            return
        have = len(self.tail) - len(self.tail.rstrip("\n"))
        if have < count:
            self._emit("\n" * (count - have), force=True)

    def _emit(self, text: str, force: bool = False) -> None:
        if self.size >= self.limit or not text:
            return
        if not force and (not self.parts or self.tail.endswith("\n")):
            text = text.lstrip(" ")
            if not text:
                return
        self.parts.append(text)
        self.size += len(text)
        self.tail = (self.tail + text)[-2:]


def html_to_text(markup: str, limit: int) -> str:
    """Visible text of an HTML body, without quoted blocks, scripts or styles.

    Blockquotes and the quote containers of Gmail, Yahoo, Thunderbird and
    Proton are dropped (they hold the earlier messages); at Outlook's reply
    separator everything after is dropped. Never raises.
    """
    parser = _HTMLText(limit * 2)
    try:
        parser.feed(_defuse(markup))
        parser.close()
    except Exception:  # HTMLParser asserts on some malformed declarations
        pass
    text = "".join(parser.parts).replace("\xa0", " ")
    lines = [line.strip() for line in text.split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()[:limit]


def _defuse(markup: str) -> str:
    """Remove comments and escape every "<" that does not open a complete tag.

    The stdlib HTMLParser of Python 3.11 is quadratic on unterminated
    constructs ("<a <a <a ..." takes minutes for 500 KB). After this pass every
    "<" it sees is closed by a ">" before the next "<", which keeps it linear.
    Both steps are linear themselves: comments are cut with ``str.find`` and
    the look-ahead stops at the next "<" or ">".
    """
    out: list[str] = []
    pos = 0
    while True:
        start = markup.find("<!--", pos)
        if start < 0:
            out.append(markup[pos:])
            break
        out.append(markup[pos:start])
        end = markup.find("-->", start + 4)
        if end < 0:  # an unterminated comment hides the rest, as in a browser
            break
        pos = end + 3
    return _LONE_LT.sub("&lt;", "".join(out))
