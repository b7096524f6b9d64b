"""Which edition answers a claim of a program, and why none does (docs/medicaid.md).

Medicare and Medicaid publish separate NCCI edit sets that differ row by row (domain.md
§2), so a claim is only ever checked against an edition of its own program:

- with editions imported, the program and the date of service pick one
  (``EditionRegistry.select``); none of the claim's program means ``no_data``, never
  another program's edition;
- on a fresh home (nothing imported) the built-in demo edition stands in, and only for
  its own program (Medicare): a Medicaid claim gets ``no_data`` saying no Medicaid
  edition is loaded, not the demo's Medicare rows.

``Checker.edition_for`` and the batch engine (``adapters.batch.editions``) both choose
through :func:`answering_edition`; :func:`no_edition_reason` is the report's sentence.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from fluorocode.adapters.store.demo import demo_edition
from fluorocode.adapters.store.edition import CompiledEdition
from fluorocode.adapters.store.registry import EditionRegistry
from fluorocode.domain.codes import Program
from fluorocode.domain.edits import EditLookup

__all__ = ["answering_edition", "no_edition_reason"]

_IMPORT_HINT = {
    Program.MEDICARE: "the CMS Medicare NCCI files",
    Program.MEDICAID: (
        "the CMS Medicaid NCCI files (medicaid-ncci-<year>-q<n>-ptp-edits-…zip and "
        "…-mue-edits-…zip)"
    ),
}


def answering_edition(
    registry: EditionRegistry,
    program: Program,
    dos: date,
    editions: Sequence[CompiledEdition],
) -> EditLookup | None:
    """The edition that answers a ``program`` claim on ``dos``, or None (module doc).

    Args:
        registry: the editions home.
        program: the claim's program.
        dos: its date of service.
        editions: one listing of the home (``registry.editions()``), so that an import
            swapping editions in between cannot make two questions disagree.
    """
    if not editions:
        # the demo only stands in on a fresh home: editions that exist but cannot be
        # read are no data, never quietly the demo
        if registry.has_entries():
            return None
        demo = demo_edition()
        return demo if demo.info.program is program else None
    return registry.select(program, dos, editions)


def no_edition_reason(
    program: Program, dos: date, editions: Sequence[CompiledEdition]
) -> str:
    """Why no edition answered a ``program`` claim on ``dos`` (the ``no_data`` text)."""
    hint = _IMPORT_HINT[program]
    if not any(e.info.program is program for e in editions):
        others = sorted({e.info.program.value for e in editions} - {program.value})
        held = f" (only {', '.join(others)} editions are)" if others else ""
        return (
            f"No {program.value} edition is loaded{held}: the claim was not checked. A "
            f"{program.value} claim is checked only against {program.value} NCCI edits, "
            f"never another program's or the demo's. Import {hint} "
            "(fluorocode editions import)."
        )
    return (
        f"No {program.value} edition covers the date of service {dos.isoformat()}: the "
        f"claim was not checked. Import {hint} of that quarter (fluorocode editions "
        "import)."
    )
