"""Real data in: FollowTheMoney entity streams and register extracts (CSV) into the project's record tables.

Both importers end where the synthetic world starts: a folder of record tables that ``tegenkracht validate``
checks and ``tegenkracht features`` reads unchanged (docs/data.md, "Importing real data").
"""

from features.importers.records import Imported, ImportReport, RecordsImportError, write

__all__ = ["ImportReport", "Imported", "RecordsImportError", "write"]
