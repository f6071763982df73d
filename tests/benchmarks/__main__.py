"""``python -m tests.benchmarks``: run the benchmark suite (see run.py)."""

from .run import main

raise SystemExit(main())
