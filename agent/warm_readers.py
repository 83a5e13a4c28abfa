"""Make the mail readers ready while a cold poll's parent waits for its threading child.

Why: on a cold poll the parent process has nothing to do between writing the
mailbox down and receiving the candidate conversations from the child that
threads them (agent/forked.py): about 0.4 s at 20,000 messages, one core
idle. The stages that follow (bodies, reading, deciding) then spent about
0.3 s of their own on first use: importing the signal readers and icalendar,
and compiling a few hundred regular expressions that are compiled on first
use (agent/lazy_pattern.py, the rule tables of agent/signals/cues.py). Done
in the wait instead, the same work costs the poll nothing.

The warm-up is a list of small steps (one import, one module's patterns) and
stops as soon as ``stop()`` says the child has answered, so it never delays
the poll by more than one step. It changes no result: an import or a
compiled pattern is the same whenever it happens. Nothing here runs on a
warm poll or in the service (which threads in-process and has no wait).
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import sys
from collections.abc import Callable, Iterable, Iterator
from types import ModuleType

__all__ = ["READERS", "warm_readers"]

#: the modules the bodies, reading and deciding stages import on a cold poll, in the order they
#: first need them (importing one imports the readers it uses)
READERS = (
    "agent.mail.parse",
    "icalendar",
    "agent.signals.tracking",
    "agent.signals.events",
    "agent.signals.company",
    "agent.mail.related",
    "agent.policy",
)

#: the packages whose module-level patterns are compiled ahead
_PACKAGES = ("agent.signals.", "agent.mail.")


def warm_readers(stop: Callable[[], bool]) -> int:
    """Import the readers and compile their patterns until ``stop()``; returns the steps done."""
    done = 0
    for step in _steps():
        if stop():
            break
        step()
        done += 1
    return done


def _steps() -> Iterator[Callable[[], None]]:
    """The imports first (each a step), then each reader module's patterns (a step per module),
    the modules listed when the imports are done."""
    for name in READERS:
        yield functools.partial(_import, name)
    yield _language_tables
    for module in [m for n, m in list(sys.modules.items()) if n.startswith(_PACKAGES) and m is not None]:
        yield functools.partial(_compile_patterns, module)


def _import(name: str) -> None:
    with contextlib.suppress(ImportError):  # not installed: its first use will say so
        importlib.import_module(name)


def _language_tables() -> None:
    """The other languages' date grammars and recruiting words (built and compiled once per
    process, on the first message read in any language)."""
    from agent.signals import recruiting_lang, slots_lang

    slots_lang.languages()
    for code in recruiting_lang.languages():
        vocabulary = recruiting_lang.vocabulary(code)
        for rule in vocabulary.rules if vocabulary is not None else ():
            rule.pattern  # noqa: B018 (kept by the rules' own cache)


def _compile_patterns(module: ModuleType) -> None:
    """Compile the module's lazy patterns and rule tables (a module-level pattern, or a tuple or
    list of them, or of rules; the same objects their first use would compile)."""
    from agent.lazy_pattern import LazyPattern
    from agent.signals.cues import Rule

    for item in _values(vars(module).values()):
        if isinstance(item, LazyPattern):
            item.compiled  # noqa: B018 (compiled and kept by the pattern itself)
        elif isinstance(item, Rule):
            item.pattern  # noqa: B018 (kept by the rules' own cache)


def _values(values: Iterable[object], depth: int = 0) -> Iterator[object]:
    """The values, and the items of the tuples and lists among them, two levels deep (a table of
    rules, a table of (pattern, flag, name) rows)."""
    for value in list(values):
        if isinstance(value, tuple | list) and depth < 2:
            yield from _values(value, depth + 1)
        else:
            yield value
