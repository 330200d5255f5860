"""The exception hierarchy: every error the library raises on purpose is a `QAError`.

    QAError
    ├── ArticleFileError     an input file cannot be read (reported per file, never fatal to a batch)
    ├── IndexNotFoundError   no index in the directory
    ├── IndexMismatchError   the index was built with another model, dimension or format
    ├── IndexLockedError     another process is writing to the index
    ├── StorageError         the index directory cannot be used: a file, a folder of other files,
    │                        read-only, on a full disk, or its database is damaged
    ├── InvalidQueryError    an empty or too long question, or bad filters
    ├── ModelError           a model cannot be loaded (or the embedder failed its checksum)
    ├── SettingsError        a QA_* variable holds a value its setting cannot take (also a ValueError)
    ├── ServeError           the chat cannot listen where it was asked to (a port in use, a foreign address)
    └── SyncError            a synced source is down or answers what it should not (the archive is unchanged)
        └── SourceURLError   not a http(s) URL, or no such source (also a ValueError)
"""


class QAError(Exception):
    """Base class; the message says what, where, and the next step."""


class ArticleFileError(QAError):
    """An input file cannot be read."""


class IndexNotFoundError(QAError):
    """There is no index in the given directory."""


class IndexMismatchError(QAError):
    """The index was written with another model, dimension or store format."""


class IndexLockedError(QAError):
    """Another process holds the index's writer lock."""


class StorageError(QAError):
    """The index directory or its files cannot be used as asked (read-only, full, damaged, not an index)."""


class InvalidQueryError(QAError, ValueError):
    """A question or filter that cannot be searched."""


class ModelError(QAError):
    """A model (the embedding model, or a learned ranking model) cannot be loaded."""


class SettingsError(QAError, ValueError):
    """A QA_* environment variable that its setting cannot take (`QA_K=abc`)."""


class ServeError(QAError):
    """The chat cannot listen on the address and port it was given."""


class SyncError(QAError):
    """A source cannot be synced now (down, refusing, or answering what it should not)."""


class SourceURLError(SyncError, ValueError):
    """A URL that is not a http(s) URL, or a source that is not recorded."""
