"""The fluorocode error tree.

Every error the package raises on purpose derives from :class:`FluorocodeError`::

    FluorocodeError
    ├── ConfigError                      bad settings, home directory unusable
    │   └── PayerProfileError            a payer profile file is invalid: file and key named
    ├── DataSourceError                  a CMS file or download could not be used
    │   ├── EditFileFormatError          a file's content is wrong: file, line, column named
    │   ├── UnknownFileError             a file name CMS never uses; a zip without its member
    │   └── FetchError                   a download failed or its checksum did not match
    ├── EditionError                     the edition store
    │   ├── EditionExistsError           importing a program + quarter that is already there
    │   ├── EditionNotFoundError         no such edition
    │   └── StoreVersionError            a compiled store written by another format version
    ├── DiffRequestError(ValueError)     an editions diff asked of a bad edition, table or code
    ├── ClaimInputError(ValueError)      an encounter is invalid; ``errors`` lists each field
    ├── JsonDocumentError(ValueError)    input that is not usable JSON: line and column named
    ├── QuantityError(ValueError)        an unknown or malformed unit or quantity
    ├── ExtractionError                  note text that cannot be read at all
    ├── ApiKeyError(ValueError)          an API key name that is malformed, taken or unknown
    └── AuditError                       the audit trail cannot be written or read

Errors carry typed fields and pickle cleanly (batch jobs send them across processes).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ApiKeyError",
    "AuditError",
    "ClaimInputError",
    "ConfigError",
    "DataSourceError",
    "DiffRequestError",
    "EditFileFormatError",
    "EditionError",
    "EditionExistsError",
    "EditionNotFoundError",
    "ExtractionError",
    "FetchError",
    "FieldError",
    "FluorocodeError",
    "JsonDocumentError",
    "PayerProfileError",
    "QuantityError",
    "StoreVersionError",
    "UnknownFileError",
]


class FluorocodeError(Exception):
    """Root of every error fluorocode raises on purpose."""


class ConfigError(FluorocodeError):
    """Settings or the home directory cannot be used."""


class PayerProfileError(ConfigError, ValueError):
    """A payer profile (``docs/payers.md``) is invalid; ``file`` and ``key`` name where."""

    def __init__(self, file: str, key: str, reason: str) -> None:
        self.file, self.key, self.reason = file, key, reason
        super().__init__(f"{file}: {key}: {reason}")

    def __reduce__(self) -> tuple[type, tuple[str, str, str]]:
        return (type(self), (self.file, self.key, self.reason))


class DataSourceError(FluorocodeError):
    """A CMS source file or download cannot be used."""


class EditFileFormatError(DataSourceError):
    """A CMS file's content is malformed.

    Attributes:
        file: the file name (inside a zip: ``archive.zip!member.TXT``).
        line: 1-based physical line (record for CSV), or None when not line-bound.
        column: the column's name or 1-based number, or None.
        reason: what is wrong, in plain words.
    """

    def __init__(
        self,
        file: str,
        reason: str,
        line: int | None = None,
        column: str | int | None = None,
    ) -> None:
        self.file = file
        self.reason = reason
        self.line = line
        self.column = column
        where = file
        if line is not None:
            where += f", line {line}"
        if isinstance(column, int):
            where += f", column {column}"
        elif column:
            # a name: "column2" or "Column 2" already says it is a column
            where += (
                f", {column}" if "column" in column.lower() else f", column {column}"
            )
        super().__init__(f"{where}: {reason}")

    def __reduce__(self) -> tuple[type, tuple[str, str, int | None, str | int | None]]:
        return (type(self), (self.file, self.reason, self.line, self.column))


class UnknownFileError(DataSourceError):
    """A file whose name or archive content is not a CMS NCCI/PFS file we know."""


class FetchError(DataSourceError):
    """A download failed, was refused, or did not match its recorded checksum."""


class EditionError(FluorocodeError):
    """The edition store cannot do what was asked."""


class EditionExistsError(EditionError):
    """An edition for this program and quarter is already imported."""


class EditionNotFoundError(EditionError):
    """No edition matches the request."""


class StoreVersionError(EditionError):
    """A compiled edition was written by an incompatible store format."""


class DiffRequestError(FluorocodeError, ValueError):
    """An editions diff cannot be asked that way; ``field`` names the parameter.

    ``field`` is ``from``, ``to``, ``table`` or ``codes``; ``reason`` says what is wrong.
    """

    def __init__(self, field: str, reason: str) -> None:
        self.field, self.reason = field, reason
        super().__init__(f"{field}: {reason}")

    def __reduce__(self) -> tuple[type, tuple[str, str]]:
        return (type(self), (self.field, self.reason))


@dataclass(frozen=True, slots=True)
class FieldError:
    """One invalid field of an encounter: a JSON-path-like location and the reason.

    ``kind`` is a stable slug of what is wrong (``unknown_field``, ``invalid_code``,
    ...): what an audit trail may keep, since ``message`` may quote the submitted value.
    """

    field: str
    message: str
    kind: str = "invalid"

    def to_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message, "kind": self.kind}

    @property
    def safe_field(self) -> str:
        """The field path with no caller text: an unknown key's own name is dropped."""
        if self.kind == "unknown_field":
            parent = self.field.rpartition(".")[0]
            return f"{parent}.?" if parent else "?"
        return self.field


class JsonDocumentError(FluorocodeError, ValueError):
    """A document is not usable JSON; ``line`` and ``column`` are 1-based."""

    def __init__(self, reason: str, line: int, column: int) -> None:
        self.reason, self.line, self.column = reason, line, column
        super().__init__(f"not valid JSON (line {line}, column {column}: {reason})")

    def __reduce__(self) -> tuple[type, tuple[str, int, int]]:
        return (type(self), (self.reason, self.line, self.column))


class ClaimInputError(FluorocodeError, ValueError):
    """An encounter is invalid; ``errors`` names every bad field."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = list(errors)
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in self.errors))

    def __reduce__(self) -> tuple[type, tuple[list[FieldError]]]:
        return (type(self), (self.errors,))


class QuantityError(FluorocodeError, ValueError):
    """A unit or quantity that cannot be read (unknown unit, wrong dimension)."""


class ExtractionError(FluorocodeError):
    """Note text that cannot be read at all (not text)."""


class ApiKeyError(FluorocodeError, ValueError):
    """An API key name that is malformed, already taken, or not known."""


class AuditError(FluorocodeError):
    """The audit trail cannot be written or read (the check was not recorded)."""
