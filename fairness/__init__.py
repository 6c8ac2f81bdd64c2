"""Bias audit, proxy checks and drift monitors; the only reader of ``sensitive/`` (issue 6)."""
