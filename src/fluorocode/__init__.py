"""fluorocode: coding compliance for fluoroscopy (CPT 76000) and CMS NCCI edits.

The public surface::

    from fluorocode import Checker, check
    report = check({"id": "e1", "date_of_service": "2024-08-15", ...})
    report.status, report.to_dict()
"""

from fluorocode.api import Checker, check, edition_to_dict, extract_note
from fluorocode.domain.findings import (
    Action,
    Finding,
    LineResult,
    Prompt,
    Report,
    ReportStatus,
    Status,
)
from fluorocode.errors import (
    ClaimInputError,
    DataSourceError,
    EditFileFormatError,
    EditionError,
    FluorocodeError,
)

__all__ = [
    "Action",
    "Checker",
    "ClaimInputError",
    "DataSourceError",
    "EditFileFormatError",
    "EditionError",
    "Finding",
    "FluorocodeError",
    "LineResult",
    "Prompt",
    "Report",
    "ReportStatus",
    "Status",
    "check",
    "edition_to_dict",
    "extract_note",
]
