"""Reliability scripts (issue 7), run by hand or in CI, not collected by pytest.

    python -m tests.reliability.fuzz_cases --n 100000   # crashes must be 0
    python -m tests.reliability.oracle --n 100000       # disagreements must be 0
    python -m tests.reliability.soak --n 1000000        # RSS growth must stay under 5 MB

See tests/reliability/README.md.
"""
