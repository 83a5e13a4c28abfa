"""The agent's modules import each other without a cycle, function-level imports included.

A cycle held together by an import inside a function works until someone
moves that import to the top of the file; it also says that code sits in the
wrong module. The graph here is built from the source with :mod:`ast`, so it
sees every ``import`` and ``from … import`` wherever it is written: at module
level, inside functions, and under ``if TYPE_CHECKING:``. An edge goes to the
module the statement names (``from agent import logs`` names ``agent.logs``;
``from agent.store import Store`` names ``agent.store``); the package
``__init__`` that Python also runs on the way is not an edge of its own, as in
import-linter's graph, since a package that imports its submodules is no
cycle. The stdlib's :mod:`graphlib` finds the cycle and names it.
"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest

AGENT = Path(__file__).resolve().parent.parent / "agent"


def module_names(root: Path) -> dict[str, Path]:
    """Every module of the package under ``root``, by dotted name (a package by its own name)."""
    names = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names[".".join(parts)] = path
    return names


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The longest known module that ``name`` starts with (``agent.x.Y`` is in ``agent.x``)."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in modules:
            return candidate
    return None


def _base_of(node: ast.ImportFrom, module: str, path: Path) -> str:
    """The absolute name ``from … import`` reads from, relative imports included."""
    if not node.level:
        return node.module or ""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    package = package[: len(package) - (node.level - 1)]
    return ".".join(package + ([node.module] if node.module else []))


def imports_of(module: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The modules of the package that ``module`` imports anywhere in its source."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(m for a in node.names if (m := _resolve(a.name, modules)))
        elif isinstance(node, ast.ImportFrom):
            base = _base_of(node, module, path)
            for alias in node.names:
                # ``from pkg import sub`` names the submodule when there is one
                target = _resolve(f"{base}.{alias.name}", modules) or _resolve(base, modules)
                if target:
                    found.add(target)
    found.discard(module)
    return found


def import_graph(root: Path) -> dict[str, set[str]]:
    modules = module_names(root)
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as ``[a, b, …, a]`` (each imports the next), or None."""
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as err:
        # graphlib lists the cycle along "depends on" edges, reversed: turn it into import order
        return list(reversed(err.args[1]))
    return None


def test_no_import_cycle_between_agent_modules() -> None:
    cycle = find_cycle(import_graph(AGENT))
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_only_the_entry_points_import_the_cli() -> None:
    """The CLI is the outermost layer: the use cases it shares live in ``agent.app``."""
    graph = import_graph(AGENT)
    importers = sorted(name for name, targets in graph.items() if "agent.cli" in targets)
    assert importers == ["agent.__main__"]


def test_the_graph_sees_imports_inside_functions() -> None:
    """The graph is not vacuous: it holds the lazy imports the CLI makes to start fast."""
    graph = import_graph(AGENT)
    assert "agent.config" in graph["agent.cli"]  # module level
    assert {"agent.demo", "agent.doctor", "agent.service"} <= graph["agent.cli"]  # in functions
    assert "agent.backends.maildir" in graph["agent.backends.open"]  # in a function, by name


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "pkg"
    for name, source in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
    return root


def test_a_cycle_hidden_in_a_function_is_found_and_named(tmp_path: Path) -> None:
    root = _package(tmp_path, {
        "__init__.py": "",
        "a.py": "from pkg.b import f\n",
        "b.py": "def f():\n    from pkg import c\n",
        "c.py": "import typing\nif typing.TYPE_CHECKING:\n    from pkg.a import X\n",
    })
    cycle = find_cycle(import_graph(root))
    assert cycle is not None
    assert cycle[0] == cycle[-1]
    assert sorted(cycle[:-1]) == ["pkg.a", "pkg.b", "pkg.c"]
    graph = import_graph(root)
    assert all(cycle[i + 1] in graph[cycle[i]] for i in range(len(cycle) - 1))  # each imports the next


@pytest.mark.parametrize(("source", "expected"), [
    ("from . import b\n", {"pkg.sub.b"}),
    ("from .b import thing\n", {"pkg.sub.b"}),
    ("from .. import top\n", {"pkg.top"}),
    ("import pkg.sub.b as alias\n", {"pkg.sub.b"}),
    ("from pkg.sub import b, name_in_init\n", {"pkg.sub.b", "pkg.sub"}),
    ("import os\nfrom json import dumps\n", set()),
])
def test_each_form_of_import_names_its_module(tmp_path: Path, source: str, expected: set[str]) -> None:
    root = _package(tmp_path, {
        "__init__.py": "", "top.py": "", "sub/__init__.py": "", "sub/b.py": "", "sub/a.py": source,
    })
    assert import_graph(root)["pkg.sub.a"] == expected


def test_no_cycle_when_there_is_none(tmp_path: Path) -> None:
    root = _package(tmp_path, {"__init__.py": "", "a.py": "from pkg import b\n", "b.py": "import os\n"})
    assert find_cycle(import_graph(root)) is None


# --- what a warm IMAP poll loads ---------------------------------------------------------
#
# Start-up is most of a warm poll with nothing new (issue 15): the modules below cost tens
# to hundreds of milliseconds each to import, and a poll over IMAP with nothing new needs
# none of them. This is a test of what is loaded, not of time.

#: nor on a poll that reads new messages, once a poll has kept this year's holidays
NOT_ON_A_POLL_WITH_NEWS = ("holidays", "dateutil")

#: the real asyncio (agent.logs puts a stand-in named "asyncio" in its place for structlog)
ASYNCIO = "asyncio.base_events"

#: modules a warm IMAP poll must not load: the other backends' clients, the readers of
#: messages it does not read, and keyring once it is known there is no keyring backend;
#: then the libraries only some messages need (delivery reports, company names written
#: out, a draft's date in another language, a domain under a multi-label suffix)
NOT_ON_A_WARM_IMAP_POLL = ("googleapiclient", "google_auth_oauthlib", "oauthlib", "msal", "icalendar",
                           "dateparser", "lingua", "keyring", "secretstorage",
                           "flufl", "cleanco", "babel", "publicsuffixlist",
                           # asyncio: structlog's, stood in for by agent.logs until used; holidays:
                           # this year's table kept by agent/holiday_cache.py; the parsers: nothing arrived
                           *NOT_ON_A_POLL_WITH_NEWS, "mailparser_reply", "html")


#: the message parser, loaded only when a message arrived (agent/syncing.py)
PARSER = "agent.mail.parse"

#: the readers of messages (agent/signals/*): a warm poll with nothing new takes every verdict
#: and every fact from the state (agent/facts_cache.py), so it loads none of them; a poll that
#: reads a new message loads them all
READERS = ("agent.signals.tracking", "agent.signals.events", "agent.signals.timeline",
           "agent.signals.interviews", "agent.signals.instructions", "agent.signals.scheduling",
           "agent.signals.slots", "agent.signals.meetings", "agent.signals.candidacy",
           "agent.signals.recruiting", "agent.signals.company")

_LOADED = (
    "import json, sys\n"
    "from agent.cli import main\n"
    "rc = main(sys.argv[2:])\n"
    "open(sys.argv[1], 'w').write(json.dumps(sorted(sys.modules)))\n"
    "sys.exit(rc)\n"
)


def _poll(config: Path, env: dict[str, str], out: Path, *extra: str) -> set[str]:
    """Every module (dotted name) loaded by one ``poll --once`` in a fresh process."""
    import subprocess
    import sys

    argv = [sys.executable, "-c", _LOADED, str(out), "--config", str(config), "poll", "--once",
            "--now", "2026-03-02T12:00:00-05:00", "--json", *extra]
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    import json

    out.with_suffix(".stdout").write_text(proc.stdout)
    return set(json.loads(out.read_text()))


def _stats(out: Path) -> dict[str, object]:
    """The ``stats`` of the poll whose modules :func:`_poll` wrote to ``out``."""
    import json

    return dict(json.loads(out.with_suffix(".stdout").read_text())["stats"])


def _top(modules: set[str]) -> set[str]:
    return {name.split(".")[0] for name in modules}


def test_a_warm_imap_poll_loads_only_what_it_needs(dovecot_user, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Over IMAP, with the password from ``password_command`` and no keyring backend (the
    user's usual path on a server), the second poll loads none of the heavy modules and none of
    the message readers; the third, with a new message to read, loads the readers (so the lazy
    path is proven, not an absent feature)."""
    import os
    from datetime import UTC, datetime

    from agent.samples import message

    admin = dovecot_user.connect()
    when = datetime(2026, 2, 2, 15, 0, tzinfo=UTC)
    text = "Thanks for applying to the Platform Engineer role. We will get back to you by next week."
    admin.append("INBOX", message("Dana <dana@acme.example>", "me@example.com", "Your application at Acme",
                                  text, when, "a1@acme.example"))
    admin.logout()
    secret = tmp_path / "password"
    secret.write_text(dovecot_user.password + "\n")
    config = tmp_path / "config.toml"
    config.write_text(
        '[account]\nname = "Me"\naddresses = ["me@example.com"]\ntimezone = "America/New_York"\n'
        '[mailbox]\nbackend = "imap"\n'
        f'[imap]\nhost = "{dovecot_user.server.host}"\nport = {dovecot_user.server.port}\n'
        f'security = "none"\nusername = "{dovecot_user.username}"\npassword_command = "cat {secret}"\n'
        f'[state]\npath = "{tmp_path / "state.db"}"\n'
    )
    env = {k: v for k, v in os.environ.items() if k not in ("CREDENTIALS_DIRECTORY", "PYTHON_KEYRING_BACKEND")}
    # no keyring backend at all, as on a server; the cache of that answer lives in the test's folder
    env.update(XDG_CACHE_HOME=str(tmp_path / "cache"), PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    cold_modules = _poll(config, env, tmp_path / "cold.json")
    cold = _top(cold_modules)
    assert "keyring" in cold  # the first process asked the keyring, as the documented order says
    assert (tmp_path / "cache" / "followup-agent" / "no-keyring.json").exists()
    quick = _poll(config, env, tmp_path / "quick.json")
    # nothing new, nothing due: answered from the last poll's record (agent/quick_poll.py)
    assert "imapclient" in _top(quick) and "agent.quick_poll" in quick  # it did ask the server
    assert sorted({"holidays", "agent.facts", "agent.actions"} & (quick | _top(quick))) == []
    assert sorted(set(NOT_ON_A_WARM_IMAP_POLL) & _top(quick)) == []
    # the engine and the parser neither, unless loaded while the login was still waiting for the
    # server (agent/backends/open.py's head start; the steps are in the stats)
    if _stats(tmp_path / "quick.json")["warm_steps_at_login"] == 0:
        assert sorted({"agent.engine", "agent.mail.parse"} & quick) == []
    loaded = _poll(config, env, tmp_path / "warm.json", "--full")  # the whole engine, nothing new
    warm = _top(loaded)
    assert "imapclient" in warm and "agent.engine" in loaded  # it did poll over IMAP
    assert sorted(set(NOT_ON_A_WARM_IMAP_POLL) & warm) == []
    assert sorted(set(READERS) & loaded) == []
    assert "agent.drafts" not in loaded  # nor the composer and its templates: no draft was written
    if _stats(tmp_path / "warm.json")["warm_steps_at_login"] == 0:  # (as above)
        assert PARSER not in loaded  # nor the parser: nothing arrived
    assert ASYNCIO not in loaded and "structlog" in loaded  # structlog without asyncio
    assert PARSER in cold_modules  # which the first poll, with mail to read, did load
    admin = dovecot_user.connect()  # mail that reaches no candidate: the last answer is kept
    admin.append("INBOX", message("Mom <mom@yahoo.example>", "me@example.com", "Dinner on Sunday?",
                                  "Are you coming?", datetime(2026, 2, 20, 9, 0, tzinfo=UTC), "m1@yahoo.example"))
    admin.logout()
    kept = _poll(config, env, tmp_path / "kept.json")
    assert _stats(tmp_path / "kept.json")["quick"] == "kept"
    assert PARSER in kept and "agent.engine" in kept  # it read the new message and threaded it,
    # and went no further: no reader (but the header words the candidate test reads), no policy,
    # no planner, no later stage of the engine
    later = set(READERS) - {"agent.signals.candidacy", "agent.signals.recruiting"}
    assert sorted({*later, "agent.deciding", "agent.policy", "agent.planner", "agent.facts"} & kept) == []
    assert sorted(set(NOT_ON_A_WARM_IMAP_POLL) & _top(kept)) == []  # html too: bodies only
    # header blocks alone: no quote cutter, no interview-slot grammar (agent/mail/html_text.py)
    assert sorted({"agent.mail.quotes", "agent.mail.html_text", "agent.signals.slots_lang"} & kept) == []
    admin = dovecot_user.connect()
    text = "Hi, could we talk on Thursday at 3pm about the Platform Engineer role? Dana"
    admin.append("INBOX", message("Dana <dana@acme.example>", "me@example.com", "Re: Your application at Acme",
                                  text, datetime(2026, 2, 20, 15, 0, tzinfo=UTC), "a2@acme.example",
                                  in_reply_to="a1@acme.example"))
    admin.logout()
    reading = _poll(config, env, tmp_path / "new.json")
    assert sorted(set(READERS) - reading) == []  # a new message to read: the readers are loaded
    assert PARSER in reading  # and the parser
    assert sorted(set(NOT_ON_A_POLL_WITH_NEWS) & _top(reading)) == []  # not holidays again
    assert ASYNCIO not in reading
