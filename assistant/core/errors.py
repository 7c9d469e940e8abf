"""Domain errors: each message says what happened and what to do."""


class AssistantError(Exception):
    """Base of every error the product raises on purpose."""


class CorpusError(AssistantError):
    """A corpus file or folder cannot be used."""


class IndexNotBuilt(AssistantError):
    """There is no usable index on disk."""


class IndexMismatch(AssistantError):
    """The index on disk was built with another embedder or format."""


class BadQuestion(AssistantError):
    """The question cannot be answered as asked (empty, too long, no text)."""


class BackendUnavailable(AssistantError):
    """A configured backend (embedder, LLM endpoint) cannot be reached or loaded."""


class ConfigError(AssistantError):
    """A setting names something that does not exist."""


class BadInputFile(AssistantError):
    """A batch or questions file cannot be read as given."""


class TooBusy(AssistantError):
    """A request did not finish within its time budget (the server is busy or the work too large)."""
