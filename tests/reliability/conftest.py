"""The reliability scripts are not tests: keep pytest from collecting anything here."""

collect_ignore_glob = ["*.py"]
