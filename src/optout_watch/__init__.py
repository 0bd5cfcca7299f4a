"""optout-watch: keeps a guide to AI-training opt-outs true."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("optout-watch")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

PROJECT_URL = "https://github.com/optout-watch/optout-watch"
