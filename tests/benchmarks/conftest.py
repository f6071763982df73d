"""The benchmarks are not tests: keep pytest from collecting anything in this folder."""

collect_ignore_glob = ["*.py"]
