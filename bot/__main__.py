"""`python -m bot`: the same as `shnor` (bot.cli)."""

import sys

from bot.cli import main

sys.exit(main())
