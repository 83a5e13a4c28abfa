"""The readers' warm-up that fills a cold poll's wait for its threading child (agent/warm_readers.py).

Each case runs in a fresh interpreter: what it checks is which modules are imported and which
patterns compiled, which a test process shares with every other test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(code: str) -> dict[str, object]:
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                         cwd=ROOT, env=dict(os.environ), timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


_STATE = """
    import gc, json, sys
    import agent.engine
    from agent.lazy_pattern import LazyPattern
    from agent.signals.cues import Rule
    from agent.warm_readers import READERS, warm_readers
    from tests.helpers import make_config
    config = make_config()

    def state(steps):
        import agent.signals.candidacy as candidacy
        lazy = [p for n, m in list(sys.modules.items()) if n.startswith(("agent.signals.", "agent.mail."))
                for p in vars(m).values() if isinstance(p, LazyPattern)]
        return {"steps": steps, "imported": [r for r in READERS if r in sys.modules],
                "lazy": len(lazy), "compiled": sum(p._compiled is not None for p in lazy)}
"""


def test_a_stop_at_once_does_nothing() -> None:
    got = _run(_STATE + """
    n = warm_readers(lambda: True, config)
    print(json.dumps({"steps": n, "tracking": "agent.signals.tracking" in sys.modules}))
    """)
    assert got == {"steps": 0, "tracking": False}


def test_left_to_finish_it_imports_every_reader_and_compiles_their_patterns() -> None:
    got = _run(_STATE + """
    from agent.signals import cues
    n = warm_readers(lambda: False, config)
    rules_cached = cues._compiled.cache_info().currsize
    s = state(n)
    s["rules_cached"] = rules_cached
    print(json.dumps(s))
    """)
    assert got["imported"] == ["agent.mail.parse", "icalendar", "agent.signals.tracking", "agent.signals.events",
                               "agent.signals.company", "agent.mail.related", "agent.policy"]
    assert isinstance(got["lazy"], int) and got["lazy"] > 50
    assert got["compiled"] == got["lazy"]  # every module-level pattern of the readers
    assert isinstance(got["rules_cached"], int) and got["rules_cached"] > 50  # the rule tables' patterns


def test_it_stops_after_the_step_during_which_the_child_answered() -> None:
    got = _run(_STATE + """
    asked = []
    def stop():
        asked.append(1)
        return len(asked) > 3
    print(json.dumps({"steps": warm_readers(stop, config), "asked": len(asked)}))
    """)
    assert got == {"steps": 3, "asked": 4}


def test_the_sample_takes_a_recruiters_paths() -> None:
    from agent.mail.parse import parse_message
    from agent.model import Conversation, RawMessage
    from agent.signals.tracking import classify
    from agent.warm_readers import SAMPLE
    from tests.helpers import make_config

    m = parse_message(RawMessage(id="warm-up", folder="inbox", data=SAMPLE))
    assert m.calendar and m.has_body and m.in_reply_to == ("<warm-up.1@example.org>",)
    assert "schedule a 30 minute call" in m.text and "wrote:" not in m.text  # the quote cut off
    assert "Recruiter | Acme" in m.signature
    assert classify(Conversation("warm-up", (m,)), make_config()).tracked
