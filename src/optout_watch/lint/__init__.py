"""Validation of catalogue files: the rule registry, the runner and the output formats."""
