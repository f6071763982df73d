"""Many cases at once: batch runs over files, scenario grids and their progress bar.

Reads case rows, advises through ``api``; the ``batch`` command in ``cli`` drives it.
"""

from formselect.deprecated import moved_attribute

from .run import BatchResult, BatchRow, advise_many, advise_stream, local_processes

__all__ = ["BatchResult", "BatchRow", "advise_many", "advise_stream", "local_processes"]


def __getattr__(name: str) -> object:
    """A name the old ``formselect.batch`` module held, from ``batch.run`` (deprecated)."""
    return moved_attribute(__name__, name)
