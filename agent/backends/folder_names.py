"""Finding the Sent and Drafts folders by their well-known names.

The last resort of IMAP folder discovery, for servers that mark no folder
with SPECIAL-USE or XLIST attributes (Courier-IMAP, older Cyrus, several
hosted services): a table of the names providers and mail clients use, in
many languages (``folder_names.toml``, data rather than code so a name is
added without touching logic). Pure functions over the folder listing.
"""

from __future__ import annotations

import functools
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping
from importlib import resources

from agent.model import DRAFTS, SENT

__all__ = ["candidates", "fold", "match_role", "well_known"]


@functools.cache
def well_known() -> Mapping[str, tuple[str, ...]]:
    """role → well-known names in order of preference, from ``folder_names.toml``."""
    text = resources.files("agent.backends").joinpath("folder_names.toml").read_text("utf-8")
    data = tomllib.loads(text)
    return {role: tuple(data[role]["names"]) for role in (SENT, DRAFTS)}


def fold(name: str) -> str:
    """``name`` without case or accents: "Éléments envoyés" and "elements ENVOYES" compare equal.

    NFKD splits "é" into "e" and a combining accent, which is then dropped;
    ``casefold`` rather than ``lower`` so "ß" matches "ss".
    """
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def candidates(known: str, prefix: str, delimiter: str | None) -> list[str]:
    """The names ``known`` (written with "/") may have on a server: as-is and under the prefix."""
    local = known.replace("/", delimiter) if delimiter else known
    out = [local]
    if prefix and not fold(local).startswith(fold(prefix)):
        out.append(prefix + local)
    return out


def match_role(role: str, names: Iterable[str], prefix: str = "", delimiter: str | None = None) -> str | None:
    """The server's folder for ``role`` by the well-known names, or None.

    ``prefix`` is the personal namespace prefix (e.g. "INBOX."), ``delimiter``
    the hierarchy separator, both as the server reported them. The table's
    order decides between several matches; the server's own spelling is
    returned (it is the name to SELECT).
    """
    by_fold: dict[str, str] = {}
    for name in names:
        by_fold.setdefault(fold(name), name)
    for known in well_known().get(role, ()):
        for candidate in candidates(known, prefix, delimiter):
            found = by_fold.get(fold(candidate))
            if found is not None:
                return found
    return None
