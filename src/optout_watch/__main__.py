import sys

from optout_watch.cli import main

sys.exit(main())
