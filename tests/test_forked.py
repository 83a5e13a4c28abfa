"""The forked helper (agent/forked.py) and the cold poll that threads in a child process.

A test process runs threads (pytest-xdist, servers), where the helper rightly
refuses to fork; so each case runs in a fresh single-threaded interpreter.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(code: str, env: dict[str, str] | None = None) -> dict[str, object]:
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                         cwd=ROOT, env={**os.environ, **(env or {})}, timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_the_answer_comes_from_a_child_when_the_process_has_one_thread() -> None:
    got = _run("""
        import json, os
        from agent.forked import Forked
        parent = os.getpid()
        job = Forked(lambda: {"pid": os.getpid(), "sum": sum(range(1000))})
        answer = job.result()
        print(json.dumps({"forked": job.forked, "child": answer["pid"] != parent, "sum": answer["sum"]}))
    """)
    assert got == {"forked": False, "child": True, "sum": 499500}  # forked is False once consumed


def test_a_failing_child_is_replaced_by_the_parent_computing_it() -> None:
    got = _run("""
        import json, os
        from agent.forked import Forked
        parent = os.getpid()
        def work():
            if os.getpid() != parent:
                raise RuntimeError("only in the child")
            return "computed here"
        job = Forked(work)
        started = job.forked
        print(json.dumps({"started": started, "answer": job.result()}))
    """)
    assert got == {"started": True, "answer": "computed here"}


def test_no_child_with_other_threads_or_when_turned_off() -> None:
    got = _run("""
        import json, os, threading
        from agent.forked import Forked
        stop = threading.Event()
        t = threading.Thread(target=stop.wait); t.start()
        with_thread = Forked(lambda: os.getpid())
        a = with_thread.forked, with_thread.result() == os.getpid()
        stop.set(); t.join()
        os.environ["FOLLOWUP_AGENT_NO_FORK"] = "1"
        off = Forked(lambda: os.getpid())
        print(json.dumps({"threaded": a, "off": [off.forked, off.result() == os.getpid()]}))
    """)
    assert got == {"threaded": [False, True], "off": [False, True]}


_POLL = """
    import json, sys
    from pathlib import Path
    from agent import syncing
    from agent.backends.maildir import MaildirMailbox
    from agent.config import load_config
    from agent.store import Store
    from tests.helpers import t
    from tests.test_engine import Env
    syncing.FORK_AT = 1
    env = Env(Path(sys.argv[1]) if len(sys.argv) > 1 else Path({root!r}))
    r = env.poll(t(12, 1, 16, 5))
    print(json.dumps({{"alongside": r.stats.get("threaded_alongside"), "rss": r.stats.get("threading_child_max_rss_mb"),
                      "warm_steps": r.stats.get("warm_steps"),
                      "plan": [(a.kind, a.step, a.to) for a in r.plan],
                      "status": r.status, "conversations": r.stats["conversations"]}}, default=str))
"""


def test_a_cold_poll_threaded_in_a_child_decides_exactly_as_one_threaded_here(tmp_path: Path) -> None:
    forked = _run(_POLL.format(root=str(tmp_path / "a")))
    here = _run(_POLL.format(root=str(tmp_path / "b")), env={"FOLLOWUP_AGENT_NO_FORK": "1"})
    assert forked["alongside"] is True and here["alongside"] is False
    assert isinstance(forked["rss"], int) and forked["rss"] > 0 and here["rss"] is None
    assert isinstance(forked["warm_steps"], int) and here["warm_steps"] is None  # only a parent that waits warms
    assert forked["plan"] == here["plan"] and forked["plan"]
    assert forked["conversations"] == here["conversations"]
    assert json.dumps(forked["status"]).replace(str(tmp_path / "a"), "") == \
        json.dumps(here["status"]).replace(str(tmp_path / "b"), "")


def test_a_child_no_longer_wanted_is_stopped_and_reaped() -> None:
    got = _run("""
        import json, os, time
        from agent.forked import Forked
        with Forked(lambda: time.sleep(60)) as job:
            pid = job._pid
            started = job.forked
        try:
            os.kill(pid, 0)
            alive = True
        except ProcessLookupError:
            alive = False
        print(json.dumps({"started": started, "alive": alive, "forked": job.forked}))
    """)
    assert got == {"started": True, "alive": False, "forked": False}


def test_done_says_whether_the_answer_waits_without_blocking() -> None:
    got = _run("""
        import json, os
        from agent.forked import Forked
        go_r, go_w = os.pipe()
        job = Forked(lambda: os.read(go_r, 1) + b"!")  # the child answers once released
        before = job.done()
        os.write(go_w, b"x")
        answer = job.result()
        os.environ["FOLLOWUP_AGENT_NO_FORK"] = "1"
        here = Forked(lambda: 1)
        print(json.dumps({"forked": before is False, "answer": answer.decode(), "none": here.done()}))
    """)
    assert got == {"forked": True, "answer": "x!", "none": True}
