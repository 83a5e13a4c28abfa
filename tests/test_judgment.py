"""The judgment corpus in `make test`: every conversation's label asserted (bench/judgment.py has the figures).

A recruiting conversation must be tracked; a look-alike must never be tracked
and never get a draft. All of them share one mailbox, as in real life, and no
agent conversation may mix a recruiting conversation with another corpus
conversation.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.judgment_corpus import check, load
from tests.judgment_run import TRACKED, Outcome, evaluate

CORPUS = load()


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    root: Path = tmp_path_factory.mktemp("judgment")
    return {o.conv.file: o for o in evaluate(CORPUS, root)}


def test_the_corpus_is_well_formed() -> None:
    assert check() == []
    assert sum(c.recruiting for c in CORPUS) >= 1


@pytest.mark.parametrize("file", [c.file for c in CORPUS if c.recruiting])
def test_recruiting_conversation_is_tracked(file: str, outcomes: dict[str, Outcome]) -> None:
    o = outcomes[file]
    assert o.verdict == TRACKED, f"{o.conv.note}: {o.verdict}: {o.reasons}"
    assert not o.mixed_with, f"threaded together with {o.mixed_with}"


@pytest.mark.parametrize("file", [c.file for c in CORPUS if not c.recruiting])
def test_lookalike_is_never_tracked_nor_drafted(file: str, outcomes: dict[str, Outcome]) -> None:
    o = outcomes[file]
    assert o.verdict != TRACKED and o.drafts == (), f"{o.conv.category}: {o.conv.note}: {o.reasons} {o.drafts}"
    # two look-alikes with one organisation may be one conversation (an MBA admissions office and its
    # scholarship committee); with a recruiting conversation, never
    assert not [f for f in o.mixed_with if f.startswith("recruiting/")], f"joined with {o.mixed_with}"
