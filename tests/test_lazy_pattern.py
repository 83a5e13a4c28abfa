"""A lazy pattern behaves as the compiled pattern it stands for, and compiles only when used."""

from __future__ import annotations

import re

import pytest

from agent.lazy_pattern import LazyPattern, lazy

TEXT = "Interview on Mon 3 Mar, then Tue 4 Mar; call me at 10:30."
CASES = [(r"\b(?P<day>mon|tue)\w*\s+(\d+)", re.I), (r"(\d+):(\d+)", 0), (r"[;,]\s*", 0), (r"^then", re.M)]


def test_it_compiles_nothing_until_first_used() -> None:
    pattern = lazy(r"(unbalanced")  # would raise at import if compiled there
    assert pattern.pattern == "(unbalanced"
    with pytest.raises(re.error):
        pattern.search("x")


@pytest.mark.parametrize(("source", "flags"), CASES)
def test_every_method_answers_as_re_does(source: str, flags: int) -> None:
    lazy_one, real = lazy(source, flags), re.compile(source, flags)
    assert isinstance(lazy_one, LazyPattern)
    for pos, endpos in [(0, len(TEXT)), (5, 30)]:
        for name in ("search", "match", "fullmatch"):
            a, b = getattr(lazy_one, name)(TEXT, pos, endpos), getattr(real, name)(TEXT, pos, endpos)
            assert (a and (a.span(), a.groups())) == (b and (b.span(), b.groups()))
        assert [m.span() for m in lazy_one.finditer(TEXT, pos, endpos)] == \
            [m.span() for m in real.finditer(TEXT, pos, endpos)]
        assert lazy_one.findall(TEXT, pos, endpos) == real.findall(TEXT, pos, endpos)
    assert lazy_one.sub("<>", TEXT) == real.sub("<>", TEXT)
    assert lazy_one.sub(lambda m: m.group(0).upper(), TEXT, 1) == real.sub(lambda m: m.group(0).upper(), TEXT, 1)
    assert lazy_one.subn("", TEXT) == real.subn("", TEXT)
    assert lazy_one.split(TEXT, 2) == real.split(TEXT, 2)
    assert lazy_one.groupindex == real.groupindex


def test_it_compiles_once() -> None:
    pattern = lazy(r"a+")
    first = pattern.compiled
    pattern.search("aaa")
    assert pattern.compiled is first


def test_the_agents_readers_compile_no_pattern_at_import() -> None:
    """The modules whose patterns were made lazy (issue 15) hold no compiled pattern at module level."""
    import importlib

    names = ["agent.signals.instructions", "agent.signals.timeline", "agent.signals.held",
             "agent.signals.autoreply", "agent.signals.scheduling", "agent.signals.slots",
             "agent.signals.company_text", "agent.mail.parse", "agent.mail.dsn", "agent.logs"]
    for name in names:
        module = importlib.import_module(name)
        compiled = sorted(k for k, v in vars(module).items() if isinstance(v, re.Pattern))
        lazies = [k for k, v in vars(module).items() if isinstance(v, LazyPattern)]
        allowed = {"agent.mail.parse": ["_B64_JUNK"]}.get(name, [])  # a bytes pattern, cheap to compile
        assert compiled == allowed, name
        assert lazies, name
