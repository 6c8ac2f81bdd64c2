"""Training, out-of-time evaluation and gated promotion through the MLflow registry (issue 4)."""
