"""Exceptions the helpdesk raises; each message says what to do about it.

They are caught only at the edges (command line, Rasa actions, Slack listeners).
"""


class HelpdeskError(Exception):
    """Base class: the message is shown to the user as it is, in one line."""


class ConfigError(HelpdeskError):
    """A setting in the environment is missing or malformed."""


class StorageError(HelpdeskError):
    """A SQLite database cannot be opened or written."""


class BotUnavailable(HelpdeskError):
    """The Rasa server (or the action server) cannot be reached."""


class ModelMissing(HelpdeskError):
    """No trained Rasa model exists for the current training data."""


class PortInUse(HelpdeskError):
    """A port the helpdesk wants to listen on is taken."""
