"""`python -m tui_app` is the `dydx-tui` command."""

import sys

from tui_app.cli import main

sys.exit(main())
