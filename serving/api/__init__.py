"""The HTTP API: FastAPI app (``serving.api.app.create_app``), access control, audit trail middleware, problem+json.

The package itself imports nothing: the pages (``serving.ui``) use the API's parts (problems, state, schemas), and
the app factory installs the pages, so importing the factory here would make the two packages import each other.
"""
