"""Bias audit, proxy checks and drift monitors; the only reader of ``sensitive/`` (issue 6).

``from fairness import audit`` is the public entry point of the audit (the function; its module stays importable
as ``fairness.audit`` for ``from fairness.audit import …``).
"""

from fairness.audit import AuditError, AuditResult, Failure, audit

__all__ = ["AuditError", "AuditResult", "Failure", "audit"]
