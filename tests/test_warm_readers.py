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
    assert got["imported"] == ["agent.mail.parse", "agent.mail.html_text", "agent.mail.quotes", "icalendar",
                               "agent.signals.tracking", "agent.signals.events", "agent.signals.company",
                               "agent.mail.related", "agent.policy"]
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


# --- warm_sync: a fresh process's poll, while its login waits for the server ---------------

_SYNC = """
    import json, re, sys
    import re._compiler
    from agent.warm_readers import SYNC_READERS, warm_sync
    from tests.helpers import make_config
    config = make_config()
"""

#: a new message from a friend, as a poll after new mail reads it: header block only
_FRIEND = (b"From: Lee Park <lee.park@example.com>\r\nTo: Jordan Lee <jordan.lee@gmail.com>\r\n"
           b"Subject: Lunch next week\r\nDate: Wed, 04 Nov 2026 12:00:00 +0000\r\n"
           b"Message-ID: <lunch.1@example.com>\r\n\r\n")


def test_warm_sync_stopped_at_once_loads_nothing() -> None:
    got = _run(_SYNC + """
    n = warm_sync(lambda: True, config)
    print(json.dumps({"steps": n, "loaded": [m for m in SYNC_READERS if m in sys.modules]}))
    """)
    assert got == {"steps": 0, "loaded": []}


def test_warm_sync_left_to_finish_leaves_nothing_for_the_first_new_message() -> None:
    """After it, the first new message (another sender, another subject) is parsed and tested
    without importing a module or compiling a pattern: all of that was done in the wait. And it
    loaded nothing a header block does not need (no quote cutter, no HTML, no slot grammar)."""
    got = _run(_SYNC + f"""
    n = warm_sync(lambda: False, config)
    before = set(sys.modules)
    compiled = []
    real = re._compiler.compile
    re._compiler.compile = lambda p, flags=0: compiled.append(p) or real(p, flags)
    from agent.candidates import is_candidate
    from agent.mail.parse import parse_message
    from agent.model import Conversation, RawMessage
    m = parse_message(RawMessage(id="1", folder="inbox", data={_FRIEND!r}, headers_only=True))
    answer = is_candidate(Conversation("c", (m,)), config)
    print(json.dumps({{"steps": n, "answer": answer, "new_modules": sorted(set(sys.modules) - before),
                      "compiled": len(compiled), "subject": m.subject,
                      "bodies_only": sorted({{"agent.mail.quotes", "agent.mail.html_text", "html.parser",
                                             "agent.signals.slots_lang"}} & before)}}))
    """)
    assert got["subject"] == "Lunch next week" and got["answer"] is False
    assert got["steps"] == 12  # the imports, then a friend's and a recruiter's header blocks
    assert got["new_modules"] == [] and got["compiled"] == 0
    assert got["bodies_only"] == []


def test_warm_sync_changes_no_answer() -> None:
    """The candidate test answers the same for a recruiter's and a friend's header block, with
    and without the warm-up before it."""
    code = _SYNC + f"""
    from agent.candidates import is_candidate
    from agent.mail.parse import parse_message
    from agent.model import Conversation, RawMessage
    from agent.warm_readers import PERSONAL, SAMPLE
    {{warm}}
    heads = [{_FRIEND!r}, PERSONAL, SAMPLE.split(b"\\r\\n\\r\\n", 1)[0] + b"\\r\\n\\r\\n"]
    msgs = [parse_message(RawMessage(id=str(i), folder="inbox", data=h, headers_only=True)) for i, h in enumerate(heads)]
    print(json.dumps([is_candidate(Conversation(str(i), (m,)), config) for i, m in enumerate(msgs)]))
    """
    cold = _run(code.replace("{warm}", "pass"))
    warm = _run(code.replace("{warm}", "warm_sync(lambda: False, config)"))
    assert cold == warm == [False, False, True]
