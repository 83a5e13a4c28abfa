"""The one user-facing error type.

Everything the user can fix (a config key, a missing folder, a server that
refuses the password) is raised as :class:`AgentError` with a message written
for a person; the CLI's single top-level handler prints it as one paragraph
and exits non-zero. Anything else is a bug and keeps its traceback (with
``--debug``).
"""

from __future__ import annotations


class AgentError(Exception):
    """A problem the user can act on; ``str(err)`` is the whole message."""

    exit_code = 2


class ConfigError(AgentError):
    """The configuration was refused at start, before anything was read or written."""


class MailboxError(AgentError):
    """The mailbox could not be read or written (missing folder, refused login, ...)."""

    exit_code = 3


class AuthError(MailboxError):
    """The server refused our credentials, or no source holds them: retrying soon won't help."""


class StateLockedError(AgentError):
    """Another poll or service holds the state lock."""

    exit_code = 4
