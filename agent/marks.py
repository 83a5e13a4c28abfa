"""The user's marks (``followup-agent mark``) as stored rows, read without the policy.

Why apart from agent/user_controls.py: choosing the candidate conversations needs
only which ones the user marked as recruiting, and a poll whose new mail reaches
no candidate stops there (agent/quick_poll.py), so it should not import the
policy and the facts that the rest of the controls are read into.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from agent.records import ControlRow

__all__ = ["forced_recruiting", "mark_fields"]


def forced_recruiting(rows: Iterable[ControlRow]) -> set[str]:
    """Conversations the user marked as recruiting: candidates whatever their headers say."""
    return {r.conversation for r in rows if r.kind == "mark" and mark_fields(r).get("what") == "recruiting"}


def mark_fields(r: ControlRow) -> dict[str, Any]:
    """A mark's fields (``what`` and its values), as ``followup-agent mark`` stored them."""
    value = json.loads(r.value or "{}")
    return value if isinstance(value, dict) else {}
