"""agent.logs imports structlog with asyncio deferred, and asyncio still works for whoever uses it.

structlog's package imports asyncio for async methods the agent never calls;
:class:`agent.logs._AsyncioOnDemand` stands in for it until something reads a
name from it (issue 15: 15 ms of every poll process). Each case runs in a fresh
interpreter, since which modules are loaded is a property of one process.
"""

from __future__ import annotations

import subprocess
import sys

import pytest


def _run(code: str) -> str:
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout + proc.stderr


def test_logging_an_event_loads_no_asyncio() -> None:
    out = _run(
        "import sys\nfrom agent.logs import configure, get_logger\n"
        "configure(json=True)\nget_logger('t').info('hello', password='hunter22')\n"
        "print('asyncio loaded:', type(sys.modules['asyncio']).__name__ != '_AsyncioOnDemand', "
        "'asyncio.base_events' in sys.modules)\n"
    )
    assert "asyncio loaded: False False" in out
    assert '"event": "hello"' in out and "hunter22" not in out  # the same JSON line, still redacted


@pytest.mark.parametrize("use", [
    "import asyncio\nasync def f(): return 42\nassert asyncio.run(f()) == 42",
    "from asyncio import run, sleep\nassert run(sleep(0, 'x')) == 'x'",
    "import asyncio.events\nimport asyncio\nassert asyncio.events.get_event_loop_policy()",
    "from apscheduler.schedulers.blocking import BlockingScheduler\nassert BlockingScheduler",
])
def test_asyncio_is_whole_for_its_users_after_the_logs_are_set_up(use: str) -> None:
    out = _run(
        "import sys\nfrom agent.logs import configure, get_logger\nconfigure(json=True)\n"
        f"{use}\n"
        "import asyncio, structlog._native as n\n"
        "assert type(asyncio).__name__ == 'module'\n"
        "assert n.asyncio.get_running_loop is asyncio.get_running_loop  # structlog's handle sees the real one\n"
        "print('ok')\n"
    )
    assert out.strip().endswith("ok")


def test_structlogs_async_methods_work_through_the_stand_in() -> None:
    out = _run(
        "from agent.logs import configure, get_logger\nconfigure(json=True)\n"
        "async def main():\n    await get_logger('t').ainfo('from a coroutine')\n"
        "import asyncio\nasyncio.run(main())\n"
    )
    assert '"event": "from a coroutine"' in out


def test_an_asyncio_already_loaded_is_left_alone() -> None:
    out = _run(
        "import asyncio, sys\nfrom agent.logs import get_logger\nget_logger('t')\n"
        "print(sys.modules['asyncio'] is asyncio)\n"
    )
    assert out.strip() == "True"
