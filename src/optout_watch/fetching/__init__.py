"""Fetching: the one HTTP fetcher, where it may connect, how failures count, and the judge of
each answer (ok, redirected, broken, blocked, error)."""
