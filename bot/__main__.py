"""``python -m bot`` runs the ``frontdesk`` command line."""

import sys

from bot.cli import main

sys.exit(main())
