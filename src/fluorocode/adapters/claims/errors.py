"""Errors for a claims file that cannot be read as a whole (docs/claims.md).

Both derive from :class:`~fluorocode.errors.ClaimInputError`, so every edge that maps
that error (the CLI's exit status 2, the service's 422) maps these too; ``errors`` holds
one :class:`~fluorocode.errors.FieldError` naming the place.

NOTE: they live beside their adapter rather than in ``fluorocode.errors`` while another
change to that module is in flight; they belong in the tree drawn there, under
``ClaimInputError`` (style.md habit 7), and should move once it lands.
"""

from __future__ import annotations

from fluorocode.errors import ClaimInputError, FieldError

__all__ = ["ClaimsFormatError", "FhirMappingError", "X12ParseError"]


class X12ParseError(ClaimInputError):
    """An X12 file whose envelope or syntax cannot be read.

    Attributes:
        file: the file's name as given (``-`` for standard input).
        reason: what is wrong, in plain words.
        segment: 1-based position of the segment in the file, or None.
        segment_id: the segment's id (``ISA``, ``SE``...), or None.
    """

    def __init__(
        self,
        file: str,
        reason: str,
        segment: int | None = None,
        segment_id: str | None = None,
    ) -> None:
        self.file, self.reason = file, reason
        self.segment, self.segment_id = segment, segment_id
        place = file
        if segment is not None:
            place += f", segment {segment}"
        if segment_id:
            place += f" ({segment_id})"
        super().__init__([FieldError(place, reason, "x12_syntax")])

    def __reduce__(  # type: ignore[override]
        self,
    ) -> tuple[type, tuple[str, str, int | None, str | None]]:
        return (type(self), (self.file, self.reason, self.segment, self.segment_id))


class FhirMappingError(ClaimInputError):
    """A FHIR document that is not a Claim or a Bundle of Claims fluorocode can read.

    Attributes:
        file: the file's name as given.
        path: where in the document (``Bundle.entry[2].resource``), or ``$``.
        reason: what is wrong.
    """

    def __init__(self, file: str, path: str, reason: str) -> None:
        self.file, self.path, self.reason = file, path, reason
        super().__init__([FieldError(f"{file}, {path}", reason, "fhir")])

    def __reduce__(self) -> tuple[type, tuple[str, str, str]]:  # type: ignore[override]
        return (type(self), (self.file, self.path, self.reason))


class ClaimsFormatError(ClaimInputError):
    """A claims format that cannot be read or answered as asked (X12 out of FHIR...)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__([FieldError("format", reason, "format")])

    def __reduce__(self) -> tuple[type, tuple[str]]:  # type: ignore[override]
        return (type(self), (self.reason,))
