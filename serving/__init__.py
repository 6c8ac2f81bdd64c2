"""The risk-signal service: batch scores, FastAPI endpoints and pages (issues 7 and 8)."""
