"""Who the user is: one answer for threading, signals, recipient choice and policy.

Before this module two functions answered the question and disagreed: the
threading took ``jordan.lee+jobs@gmail.com`` as the user's, the signals took
it for the company (so the user's own thank-you read as "the company
answered"). Every caller now asks :meth:`Identity.is_user`.

An address is the user's when, compared case-insensitively, it is

* one of ``account.addresses``, or an alias the server reports (Gmail's
  ``sendAs`` addresses, learned by the engine);
* a plus-address of one of them (``local+anything@domain``): every major
  provider delivers those to the same mailbox;
* at Gmail, the same mailbox spelled with other dots, or at
  ``googlemail.com``: Gmail ignores dots in the local part of its own
  addresses (``j.ordanlee@gmail.com`` is ``jordanlee@gmail.com``). No other
  provider is treated that way.

The user's *own domains* (for telling their current employer's mail from a
prospective employer's) are the domains of those addresses that are not
personal web-mail domains.

Which organisation a domain belongs to is answered here too, once, by
:func:`registrable_name`: the threading's company keys, the tracking's
"is this the user's employer" and the company names all ask it. (Before, the
threading used a hand-kept rule for two-level country suffixes and the
company names the Public Suffix List, and they disagreed on some domains.)
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from publicsuffixlist import PublicSuffixList

    from agent.model import Address

_GMAIL = frozenset({"gmail.com", "googlemail.com"})


def canonical(email: str) -> str:
    """The mailbox an address delivers to: lower case, no ``+tag``, Gmail's dots ignored."""
    local, at, domain = email.strip().lower().rpartition("@")
    if not at:
        return email.strip().lower()
    local = local.split("+", 1)[0]
    if domain in _GMAIL:
        return f"{local.replace('.', '')}@gmail.com"
    return f"{local}@{domain}"


@dataclass(frozen=True)
class Identity:
    """The user's addresses (configured first, then aliases), lower-case, in order."""

    addresses: tuple[str, ...]
    _canon: frozenset[str] = field(init=False, repr=False, compare=False)
    _seen: dict[str, bool] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "addresses", tuple(dict.fromkeys(a.strip().lower() for a in self.addresses)))
        object.__setattr__(self, "_canon", frozenset(canonical(a) for a in self.addresses))
        # asked for every address of a cold poll (tens of thousands): answers are remembered
        object.__setattr__(self, "_seen", {})

    @classmethod
    def of(cls, configured: Iterable[str], aliases: Iterable[str] = ()) -> Identity:
        return cls((*configured, *aliases))

    def is_user(self, addr: Address | str | None) -> bool:
        """Whether ``addr`` (an :class:`Address` or a bare address) is one of the user's."""
        if addr is None:
            return False
        email = addr if isinstance(addr, str) else addr.email
        got = self._seen.get(email)
        if got is None:
            got = self._seen[email] = bool(email) and canonical(email) in self._canon
        return got

    def own_domains(self, personal: Iterable[str]) -> frozenset[str]:
        """Domains of the user's addresses that are not personal web-mail: their employer's."""
        skip = {d.lower() for d in personal} | _GMAIL
        return frozenset(d for a in self.addresses if (d := a.rpartition("@")[2]) and d not in skip)


# --- registrable domains ----------------------------------------------------------------


def _wordset(words: str) -> frozenset[str]:
    """A set of words written as a block of text (easier to read and review than a literal)."""
    return frozenset(words.split())


#: Top-level domains under which the Public Suffix List's ICANN section has no deeper rule, so
#: the registrable domain is the last two labels (``talent.corvidlabs.com``): the list (about
#: 30 ms to load) is only read for the others. tests/test_company.py checks this set against
#: the list the library ships.
FLAT_TLDS = _wordset("""
com org net edu gov mil dev app tech health bio jobs careers de eu ch nl dk info biz xyz
global group agency studio systems software solutions capital finance ventures partners media cloud
""")


@functools.cache
def _psl() -> PublicSuffixList:
    # imported and parsed on first use, once per process (about 30 ms, 0.3 s under a
    # profiler): a poll whose mail is all .com, or that has nothing new, never needs it
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList(only_icann=True)


# A cold poll asks for every message's sender domain (20,000 messages, a few thousand
# domains): cached, so each distinct domain is worked out once per process.
@functools.lru_cache(maxsize=16384)
def registrable_name(domain: str) -> str:
    """``mail.acme.co.uk`` → ``acme``: the label that names the organisation, IDN decoded.

    The label left of the public suffix (the Public Suffix List's ICANN
    section, shipped by ``publicsuffixlist``), so ``acme.com``,
    ``careers.acme.com`` and ``acme.co.uk`` are one company and
    ``xn--mller-kva.de`` is ``müller``. Empty labels (``acme..com``) are
    skipped; a bare name is its own label; a domain that is itself a public
    suffix (``co.uk``) gives its first label.
    """
    labels = [x for x in domain.strip().strip(".").lower().split(".") if x]
    if len(labels) <= 2 or labels[-1] in FLAT_TLDS:
        registrable = labels[-2:]
    else:
        registrable = (_psl().privatesuffix(".".join(labels)) or ".".join(labels)).split(".")
    label = registrable[0] if registrable else ""
    if label.startswith("xn--"):
        with contextlib.suppress(UnicodeError, ValueError):
            label = label.encode("ascii").decode("idna")
    return label
