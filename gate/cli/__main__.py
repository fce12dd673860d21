"""`python -m gate.cli`: the same as the installed `gate` command."""

from gate.cli.main import entry

entry()
