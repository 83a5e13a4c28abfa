"""The names of our drafts: the key of (conversation, round, step) and the Message-ID derived from it.

Why apart from agent/drafts.py: the planner names the draft a step owes on
every poll, to find it among the drafts that exist, but composes one only when
a step falls due; composing loads the templates, the languages and the signal
readers, which a warm poll with nothing new then never imports (issue 15, item 3).
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agent.config import Config


def draft_key(conversation: str, round_key: str, step: str) -> str:
    return f"{conversation}:{round_key}:{step}"


def draft_message_id(key: str, config: Config) -> str:
    """Derived from the key, so writing the same draft twice names it the same (idempotent writes)."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:24]
    domain = config.account.primary.rpartition("@")[2]
    return f"<followup.{digest}@{domain}>"
