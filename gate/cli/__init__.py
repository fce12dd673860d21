"""The `gate` command."""
