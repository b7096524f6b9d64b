"""fluorocode: coding compliance for fluoroscopy (CPT 76000) and CMS NCCI edits.

The public surface::

    from fluorocode import Checker, check
    report = check({"id": "e1", "date_of_service": "2024-08-15", ...})
    report.status, report.to_dict()

Names load on first use, so importing a pure submodule (``fluorocode.domain``) does not
pull in the store's numpy and polars.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fluorocode.api import (
        Checker,
        ClaimCheck,
        check,
        check_claims,
        edition_to_dict,
        extract_note,
    )
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

_EXPORTS = {
    "Action": "fluorocode.domain.findings",
    "Checker": "fluorocode.api",
    "ClaimCheck": "fluorocode.api",
    "ClaimInputError": "fluorocode.errors",
    "DataSourceError": "fluorocode.errors",
    "EditFileFormatError": "fluorocode.errors",
    "EditionError": "fluorocode.errors",
    "Finding": "fluorocode.domain.findings",
    "FluorocodeError": "fluorocode.errors",
    "LineResult": "fluorocode.domain.findings",
    "Prompt": "fluorocode.domain.findings",
    "Report": "fluorocode.domain.findings",
    "ReportStatus": "fluorocode.domain.findings",
    "Status": "fluorocode.domain.findings",
    "check": "fluorocode.api",
    "check_claims": "fluorocode.api",
    "edition_to_dict": "fluorocode.api",
    "extract_note": "fluorocode.api",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'fluorocode' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
