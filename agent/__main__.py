"""`python -m agent` is the same as the `followup-agent` command."""

from __future__ import annotations

from agent.cli import entry

raise SystemExit(entry())
