"""The page routes, one module per audience: signing in, analysts, oversight and reports."""
