"""The payer profiles of one home directory: the built-ins and ``<home>/payers/*.toml``.

A user profile lives in ``<home>/payers/ID.toml`` and its ``id`` is its file's name; it
may not reuse a built-in id (``medicare``, ``medicaid``) nor another profile's X12
payer id or FHIR insurer identifier. The catalog is read once, when first asked (a
check resolves a profile with two dictionary lookups, never a file read); a running
service sees a new or changed profile after a restart. Any invalid file stops the
catalog with a :class:`~fluorocode.errors.PayerProfileError` naming the file and the
key: a profile that silently failed to load would let its encounters be rejected as
unknown, or worse, checked under another payer.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from fluorocode.domain.codes import Program
from fluorocode.errors import ClaimInputError, FieldError, PayerProfileError
from fluorocode.rules.payers import (
    PayerProfile,
    baseline,
    builtin_profiles,
    fhir_identifier,
    parse_profile,
)

PAYERS_DIR = "payers"
#: Bytes a profile may have: a few dozen departures, not a database.
MAX_PROFILE_BYTES = 256 * 1024


def read_profile(path: Path) -> PayerProfile:
    """Read and validate one profile file (``payers validate``).

    Raises:
        PayerProfileError: unreadable, too large, or invalid (the key named).
    """
    try:
        text = _bounded_text(path)
    except OSError as exc:
        raise PayerProfileError(
            str(path), "(document)", f"cannot read it ({exc.strerror})"
        ) from None
    except UnicodeDecodeError:
        raise PayerProfileError(str(path), "(document)", "not UTF-8 text") from None
    return parse_profile(text, str(path))


def _bounded_text(path: Path) -> str:
    """The file's text, read only if it is a regular file (a FIFO, a device or a link
    to one would block or never end) and never past ``MAX_PROFILE_BYTES``."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise PayerProfileError(str(path), "(document)", "not a regular file")
        data = f.read(MAX_PROFILE_BYTES + 1)
    if len(data) > MAX_PROFILE_BYTES:
        raise PayerProfileError(
            str(path), "(document)", f"over {MAX_PROFILE_BYTES:,} bytes"
        )
    return data.decode("utf-8")


@dataclass(frozen=True, slots=True)
class PayerCatalog:
    """Every profile by id, and the X12 payer ids (NM109) and FHIR insurer
    identifiers ((system, value)) that select them."""

    profiles: dict[str, PayerProfile]
    by_x12_id: dict[str, str]
    by_fhir_id: dict[tuple[str, str], str] = field(default_factory=dict)

    @classmethod
    def load(cls, home: Path) -> PayerCatalog:
        """The built-ins plus ``<home>/payers/*.toml``, validated."""
        profiles = dict(builtin_profiles())
        folder = home / PAYERS_DIR
        files = sorted(folder.glob("*.toml")) if folder.is_dir() else []
        by_x12: dict[str, str] = {}
        by_fhir: dict[tuple[str, str], str] = {}
        for path in files:
            profile = read_profile(path)
            if profile.id in profiles:
                raise PayerProfileError(
                    str(path),
                    "id",
                    f"{profile.id!r} is "
                    + (
                        "a built-in profile"
                        if profile.id in builtin_profiles()
                        else "already defined"
                    ),
                )
            if path.stem != profile.id:
                raise PayerProfileError(
                    str(path),
                    "id",
                    f"{profile.id!r}: the file must be named {profile.id}.toml",
                )
            profiles[profile.id] = profile
            for x12 in profile.x12_payer_ids:
                if x12 in by_x12:
                    raise PayerProfileError(
                        str(path),
                        "x12_payer_ids",
                        f"{x12!r} already selects the profile {by_x12[x12]!r}",
                    )
                by_x12[x12] = profile.id
            for token in profile.fhir_payer_ids:
                ident = fhir_identifier(token)
                assert ident is not None  # parse_profile refused any other
                if ident in by_fhir:
                    raise PayerProfileError(
                        str(path),
                        "fhir_payer_ids",
                        f"{token!r} already selects the profile {by_fhir[ident]!r}",
                    )
                by_fhir[ident] = profile.id
        return cls(profiles, by_x12, by_fhir)

    def programs(self) -> dict[str, Program]:
        """Each profile id and its base program (what the encounter parser checks)."""
        return {pid: p.base_program for pid, p in self.profiles.items()}

    def named(self, payer: str) -> PayerProfile:
        """The profile a caller names as the default payer (``check --payer``,
        ``?payer=``).

        Raises:
            ClaimInputError: no profile has that id (field ``payer``, kind
                ``unknown_payer``, the known ids named).
        """
        profile = self.profiles.get(payer)
        if profile is None:
            known = ", ".join(sorted(self.profiles))
            raise ClaimInputError(
                [
                    FieldError(
                        "payer",
                        f"unknown payer profile {payer!r}; known: {known}",
                        "unknown_payer",
                    )
                ]
            )
        return profile

    def claims_program(self, payer: str | None, program: str | None) -> str:
        """The program of claims that name none: ``program`` if given, else the
        default payer's base program, else ``medicare``.

        Raises:
            ClaimInputError: ``payer`` is unknown, or ``program`` is given and is not
                its base program (kind ``payer_program_conflict``): a claim naming
                neither could not be checked under both.
        """
        if payer is None:
            return program or Program.MEDICARE.value
        base = self.named(payer).base_program.value
        if program is not None and program != base:
            raise ClaimInputError(
                [
                    FieldError(
                        "program",
                        f"program {program} contradicts the default payer {payer!r}, "
                        f"a {base} profile: give one or make them agree",
                        "payer_program_conflict",
                    )
                ]
            )
        return base

    def resolve(self, payer: str | None, program: Program) -> PayerProfile:
        """The profile of an encounter (its ``payer``, else its program's built-in)."""
        if payer is None:
            return baseline(program)
        return self.profiles[payer]
