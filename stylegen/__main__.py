"""``python -m stylegen`` runs the CLI."""

import sys

from stylegen.cli import main

sys.exit(main())
