"""followup-agent: watches a job seeker's mailbox and drafts follow-ups; never sends."""

from __future__ import annotations

__version__ = "0.1.0"
