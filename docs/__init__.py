"""Documentation sources and the generator for the computed parts (``python -m docs.generate``)."""
