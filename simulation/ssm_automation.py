"""The simulation's SSM Automation: the interpreter lives in remedy_cli.automation (`remedy plan` runs runbooks with
it from an installed package); this name is the same module, so patches and imports through it reach it."""

import sys

from remedy_cli import automation

sys.modules[__name__] = automation
