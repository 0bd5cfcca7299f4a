"""optout-watch: keeps a guide to AI-training opt-outs true."""

#: The one place the version is written; the package metadata reads it from here
#: (reading it back from the metadata would cost every start-up a scan of site-packages).
__version__ = "0.1.0"

PROJECT_URL = "https://github.com/optout-watch/optout-watch"
