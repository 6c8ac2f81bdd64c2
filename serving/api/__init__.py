"""The HTTP API: FastAPI app, access control, audit trail middleware and problem+json errors."""

from serving.api.app import create_app

__all__ = ["create_app"]
