"""Exceptions the helpdesk raises; each message says what to do about it.

They are caught only at the edges (command line, Rasa actions, Slack listeners).
"""

import re

# Secrets as they can appear in an error's text: a token in a URL's query, a Slack token, a bearer header.
_SECRETS = re.compile(
    r"((?:token|secret|auth_token|key)=)[^&\s'\"]+|xox[abprs]-[\w-]+|xapp-[\w-]+|(Bearer )\S+", re.IGNORECASE
)


def redact(text: str) -> str:
    """`text` with every secret it may carry (URL tokens, Slack tokens, bearer tokens) replaced by ***."""
    return _SECRETS.sub(lambda m: (m.group(1) or m.group(2) or "") + "***", text)


class HelpdeskError(Exception):
    """Base class: the message is shown to the user as it is, in one line."""


class ConfigError(HelpdeskError):
    """A setting in the environment is missing or malformed."""


class StorageError(HelpdeskError):
    """A SQLite database cannot be opened or written."""


class DatabaseBusy(StorageError):
    """Another process held the database's write lock for longer than the busy timeout."""


class DatabaseReadOnly(StorageError):
    """The database file (or its folder) cannot be written."""


class DiskFull(StorageError):
    """The disk holding the database is full."""


class BotUnavailable(HelpdeskError):
    """The Rasa server (or the action server) cannot be reached."""


class ModelMissing(HelpdeskError):
    """No trained Rasa model exists for the current training data."""


class PortInUse(HelpdeskError):
    """A port the helpdesk wants to listen on is taken."""


class InvalidMessage(HelpdeskError):
    """A chat message (or the request carrying it) is not what a chat channel accepts."""


class TrainingDataError(HelpdeskError):
    """Hand-curated training data (data/nlu/curated.yml) is malformed or names what no longer exists."""


class UnknownTarget(TrainingDataError):
    """`helpdesk teach` was given a target that is neither an FAQ entry id nor one of the bot's other replies."""


class DuplicateExample(TrainingDataError):
    """The example is already in the training data."""


class StaleExample(TrainingDataError):
    """A curated example is taught to an FAQ entry that is no longer in the FAQ index."""


class IndexMissing(HelpdeskError):
    """The FAQ index has not been built, or lacks a table it should have: `helpdesk faq build` makes it."""
