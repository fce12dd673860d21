"""Persistence: tenants, builds, verdicts, history, decisions and audit."""
