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
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

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
        email = addr.email if isinstance(addr, Address) else addr
        got = self._seen.get(email)
        if got is None:
            got = self._seen[email] = bool(email) and canonical(email) in self._canon
        return got

    def own_domains(self, personal: Iterable[str]) -> frozenset[str]:
        """Domains of the user's addresses that are not personal web-mail: their employer's."""
        skip = {d.lower() for d in personal} | _GMAIL
        return frozenset(d for a in self.addresses if (d := a.rpartition("@")[2]) and d not in skip)
