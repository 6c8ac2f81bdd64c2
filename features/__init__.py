"""Records in, indicators out: the data contract (schemas, validation) and, later, the indicator pipeline."""

from features.schemas import SCHEMA_BY_NAME, SCHEMAS, Column, TableSchema, is_sensitive_name
from features.validation import RecordsError, ValidationReport, validate_records, write_quarantine

__all__ = [
    "SCHEMAS",
    "SCHEMA_BY_NAME",
    "Column",
    "RecordsError",
    "TableSchema",
    "ValidationReport",
    "is_sensitive_name",
    "validate_records",
    "write_quarantine",
]
