"""`python -m remedy_cli`: the `remedy` command."""

import sys

from remedy_cli.main import main

sys.exit(main())
