"""Read a clinical note: what it documents about fluoroscopy, with evidence.

The pure extraction layer (architecture.md): note text in, :class:`NoteFacts` out. It
imports only the standard library, :mod:`fluorocode.domain` and :mod:`fluorocode.errors`
(never :mod:`fluorocode.rules`, adapters, I/O or heavy frameworks) and it is
deterministic and offline.

Public interface::

    extract(text: str) -> NoteFacts          # ExtractionError when text is not a str
    extract_bytes(data: bytes) -> NoteFacts  # strict UTF-8; ExtractionError otherwise
    NoteFacts.to_dict()                      # the contract's "Reading a note" JSON
                                             # + "standalone" and "warnings"

Every phrase the reader knows is data: ``patterns/v1.json``, loaded and validated by
:class:`PatternSet` (:func:`load_patterns` caches the compiled set per process). Every
evidence span records the id of the pattern that made it (``Evidence.pattern``).

Modules, each a spec in its docstring:

* :mod:`.ruleset`: the pattern-set document, its validation and compilation.
* :mod:`.context`: fluoroscopy mentions and their ConText status.
* :mod:`.fluoro_time`: fluoroscopy time in minutes.
* :mod:`.dose`: air kerma (mGy) and dose-area product (Gy·cm²).
* :mod:`.documentation`: indication, images saved, separate report, stand-alone.
* :mod:`.reader`: puts them together, applies the plausibility limits
  (:mod:`fluorocode.domain.limits`, shared with the documentation rule).
* :mod:`.facts`: the result types.

``Warning`` is exported as an alias of :class:`FactWarning` (the name the contract
discussion uses); inside the package the longer name avoids shadowing the builtin.
"""

from __future__ import annotations

from fluorocode.extraction.facts import Evidence, FactWarning, NoteFacts, WarningKind
from fluorocode.extraction.reader import extract, extract_bytes
from fluorocode.extraction.ruleset import Pattern, PatternSet, load_patterns

Warning = FactWarning  # noqa: A001  (public alias; see the module docstring)

__all__ = [
    "Evidence",
    "FactWarning",
    "NoteFacts",
    "Pattern",
    "PatternSet",
    "Warning",
    "WarningKind",
    "extract",
    "extract_bytes",
    "load_patterns",
]
