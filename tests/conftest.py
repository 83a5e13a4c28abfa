"""Shared pytest setup: the Dovecot and Cyrus fixtures live in tests/dovecot.py and tests/cyrus.py."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import structlog

pytest_plugins = ["tests.dovecot", "tests.cyrus"]


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The agent's notes in the XDG cache folder (the holiday tables, agent/holiday_cache.py; the
    keyring note, agent/secrets.py) go to a folder of the test session's own, never to the
    user's ``~/.cache``; a test that needs its own sets ``XDG_CACHE_HOME`` itself."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
        yield


@pytest.fixture(autouse=True)
def _logging_as_it_was() -> Iterator[None]:
    """Each test leaves logging as it found it.

    ``agent.logs.configure`` binds structlog and the root logger to a stream;
    a test that configures them with pytest's captured stderr (closed when the
    test ends) would otherwise make a later test's first warning fail with
    "I/O operation on closed file", depending on the order the tests run in.
    """
    saved = structlog.get_config()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    structlog.configure(**saved)
    for handler in root.handlers[:]:
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
