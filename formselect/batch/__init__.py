"""Many cases at once: batch runs over files, scenario grids and their progress bar.

Reads case rows, advises through ``api``; the ``batch`` command in ``cli`` drives it.
"""

from .run import BatchResult, BatchRow, advise_many, advise_stream, local_processes

__all__ = ["BatchResult", "BatchRow", "advise_many", "advise_stream", "local_processes"]
