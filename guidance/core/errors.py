"""The kit's exception types.

Library code raises these with messages that tell the user what to do; only the
CLI turns them into one ``error:`` line and a non-zero exit.
"""


class GuideError(Exception):
    """Base class for every error a user can cause and fix."""


class ConfigError(GuideError):
    """A config value, key or name is invalid."""


class DataError(GuideError):
    """A data set (MNIST, Fashion-MNIST) is missing, unreadable or not what its name says."""


class ModelError(GuideError):
    """A model folder or learner file is missing, corrupt or incompatible."""


class StartError(GuideError):
    """A start image cannot be made (bad spec, missing or wrong-sized file)."""


class RunFolderError(GuideError):
    """A run folder cannot be created or read."""


class TrainingDiverged(GuideError):
    """Training produced a non-finite loss; nothing was saved."""
