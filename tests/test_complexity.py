"""No function in ``agent/`` is above a cyclomatic complexity of 25 (radon's measure), so that
each reads in one screen; the figure the codebase review of issue 11 asked for."""

from __future__ import annotations

from pathlib import Path

from radon.complexity import cc_visit

AGENT = Path(__file__).resolve().parent.parent / "agent"
LIMIT = 25


def test_no_function_in_agent_is_above_the_complexity_limit() -> None:
    over = []
    for path in sorted(AGENT.rglob("*.py")):
        for block in cc_visit(path.read_text(encoding="utf-8")):
            if block.complexity > LIMIT:
                over.append(f"{path.relative_to(AGENT.parent)}:{block.lineno} {block.fullname} {block.complexity}")
    assert over == []
