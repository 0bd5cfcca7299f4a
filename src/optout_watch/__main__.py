import sys

from optout_watch._cli import main

sys.exit(main())
