"""Download the official CMS zips of one quarter: which URLs, resumable downloads, SHA-256.

:func:`plan_downloads` is pure: program + quarter (+ PTP version) -> the file names to ask
for. :func:`download` fetches one URL into a file with resume. :func:`fetch_files` runs a
plan into a directory and keeps ``fetch.json`` (url, file, bytes, sha256, fetched_at of
every file) beside the downloads. Standard library only (``urllib.request``); the base URL
is configurable (``FLUOROCODE_CMS_BASE_URL``), so tests serve the files from 127.0.0.1.

**Which files** (quarter ``2026Q3``; ``{k}`` = 1, 2, ... until the server answers 404):

=========================================================================  ===============
name                                                                       source
=========================================================================  ===============
``medicare-ncci-2026q3-practitioner-ptp-edits-ccipra-v322r0-f{k}.zip``     domain.md §6.1
``medicare-ncci-2026q3-hospital-ptp-edits-ccioph-v322r0-f{k}.zip``         domain.md §6.1
``medicare-ncci-2026-q3-practitioner-services-mue-table.zip``              domain.md §6.2
``medicare-ncci-2026-q3-facility-outpatient-hospital-services-mue-table``  **inferred** (1)
``medicare-ncci-2026-q3-dme-supplier-services-mue-table.zip``              **inferred** (1)
``medicaid-ncci-2026-q3-ptp-edits-practitioner-services.zip``              domain.md §2 (2)
``medicaid-ncci-2026-q3-ptp-edits-outpatient-hospital-services.zip``       **inferred** (3)
``medicaid-ncci-2026-q3-ptp-edits-durable-medical-equipment.zip``          **inferred** (1)
``medicaid-ncci-2026-q3-mue-edits-{setting}.zip``                          **inferred** (3)
=========================================================================  ===============

(1) Not in domain.md: the names public code repositories use for these CMS URLs (seen
2026, not checked against cms.gov here); the plain analogy ``...-outpatient-hospital-...``
and ``...-durable-medical-equipment-services`` are tried after them. (2) domain.md §2 says
the Medicaid quarter/year order varies (``2026-q3`` / ``q3-2026``): both are tried.
(3) By analogy with the documented names only. Inferred files are optional: a 404 skips
them with a message; a 404 on a documented one (PTP part 1, the practitioner MUE table)
is a :class:`~fluorocode.errors.FetchError`.

**PTP version** is a *prediction* unless given: ``v`` + (year - 1994) + (quarter - 1),
release ``r0`` (domain.md §6.1, which warns the rule is inferred); CMS re-releases as
``r1``+. **AMA license:** CMS serves the PTP zips behind the AMA CPT license click-through
(domain.md §6.1); fetching them implies accepting it, so :func:`fetch_files` refuses PTP
files, before any request, unless ``accept_ama_license``. For Medicaid PTP zips the
click-through is unverified; they hold CPT codes too, so the same rule applies.

**Robustness.** Each download goes to ``NAME.part``; an existing ``.part`` is resumed with
an HTTP ``Range`` request, and restarted cleanly when the server answers 200 (Range
ignored) or a range that does not fit. Complete files are fsynced and renamed into place,
so a final name never holds half a file. Timeouts, dropped connections, HTTP 408/429/5xx
are retried ``retries`` times with exponential backoff; DNS failure (offline), other HTTP
errors, a non-zip answer (an HTML page) and a full disk are clear ``FetchError``s.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from fluorocode.adapters.cms._http import (
    Downloaded,
    FetchOptions,
    disk_error,
    download,
    hash_file,
)
from fluorocode.domain.codes import Program
from fluorocode.domain.edits import Table
from fluorocode.errors import ConfigError, FetchError

__all__ = [
    "BASE_URL_ENV",
    "DEFAULT_BASE_URL",
    "DownloadPlan",
    "Downloaded",
    "FetchOptions",
    "FetchResult",
    "FetchedFile",
    "PlannedFile",
    "download",
    "fetch_files",
    "plan_downloads",
    "resolve_base_url",
]

DEFAULT_BASE_URL = "https://www.cms.gov/files/zip/"
BASE_URL_ENV = "FLUOROCODE_CMS_BASE_URL"
LICENSE_URL = "https://www.cms.gov/license/ama?file=/files/zip/"
MANIFEST = "fetch.json"
DEFAULT_OPTIONS = FetchOptions()

Say = Callable[[str], None]
#: ``(file name, bytes so far, total bytes or None)``
Meter = Callable[[str, int, int | None], None]


@dataclass(frozen=True, slots=True)
class PlannedFile:
    """One CMS file (or part series) to ask for.

    Attributes:
        table: the edit table it holds.
        names: candidate names, tried in order; ``{part}`` marks a part series.
        required: a 404 on it (on part 1) is an error; otherwise it is skipped.
        ama_license: behind the AMA CPT license click-through.
        inferred: the name is derived by analogy, not documented (module docstring).
    """

    table: Table
    names: tuple[str, ...]
    required: bool
    ama_license: bool
    inferred: bool

    @property
    def series(self) -> bool:
        return "{part}" in self.names[0]


@dataclass(frozen=True, slots=True)
class DownloadPlan:
    """What to download for one program and quarter, from which base URL."""

    program: Program
    quarter: str
    version: str | None
    base_url: str
    files: tuple[PlannedFile, ...]

    def url(self, name: str) -> str:
        return self.base_url + name


@dataclass(frozen=True, slots=True)
class FetchedFile:
    """One file of a fetch, as recorded in ``fetch.json``."""

    url: str
    file: str
    bytes: int
    sha256: str
    fetched_at: str
    path: Path = field(compare=False)
    reused: bool = field(default=False, compare=False)

    def to_dict(self) -> dict[str, object]:
        return {
            "url": self.url,
            "file": self.file,
            "bytes": self.bytes,
            "sha256": self.sha256,
            "fetched_at": self.fetched_at,
        }


@dataclass(frozen=True, slots=True)
class FetchResult:
    """The files of a fetch, the URLs of optional files not found, the manifest."""

    files: tuple[FetchedFile, ...]
    missing: tuple[str, ...]
    manifest: Path

    @property
    def paths(self) -> list[Path]:
        return [f.path for f in self.files]


def resolve_base_url(flag: str | None = None) -> str:
    """The base URL: the flag, else ``$FLUOROCODE_CMS_BASE_URL``, else cms.gov's."""
    url = flag or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"base URL {url!r}: expected an http(s) URL")
    return url if url.endswith("/") else url + "/"


def _quarter(quarter: str) -> tuple[int, int]:
    m = re.fullmatch(r"(\d{4})-?[Qq]([1-4])", quarter.strip())
    if m is None:
        raise FetchError(f"quarter {quarter!r}: expected a quarter such as 2026Q3")
    return int(m[1]), int(m[2])


def _predicted_version(year: int, q: int) -> str:
    if not 2004 <= year <= 2093:  # three digits: v100 .. v993
        raise FetchError(f"no CMS PTP version for {year}; give --version")
    return f"v{year - 1994}{q - 1}r0"


def plan_downloads(
    program: Program,
    quarter: str,
    version: str | None = None,
    base_url: str = DEFAULT_BASE_URL,
) -> DownloadPlan:
    """The CMS files of ``program`` for ``quarter`` (module docstring), none fetched.

    Args:
        program: Medicare or Medicaid.
        quarter: ``"2026Q3"`` (also ``2026q3``, ``2026-Q3``).
        version: the Medicare PTP release ``vNNNrN``; predicted from the quarter if None.
        base_url: where the files are, ending in ``/``.

    Raises:
        FetchError: a malformed quarter or version, or a version given for Medicaid.
    """
    year, q = _quarter(quarter)
    label = f"{year}Q{q}"
    if program is Program.MEDICAID:
        if version is not None:
            raise FetchError(
                "--version names a Medicare PTP release; Medicaid has none"
            )
        return DownloadPlan(program, label, None, base_url, _medicaid_files(year, q))
    if version is None:
        version = _predicted_version(year, q)
    elif re.fullmatch(r"v\d{3}r\d+", version, re.IGNORECASE) is None:
        raise FetchError(f"--version {version!r}: expected a release such as v322r0")
    version = version.lower()
    return DownloadPlan(
        program, label, version, base_url, _medicare_files(year, q, version)
    )


def _file(table: Table, *names: str, doc: bool, ama: bool = False) -> PlannedFile:
    return PlannedFile(table, names, required=doc, ama_license=ama, inferred=not doc)


def _medicare_files(year: int, q: int, version: str) -> tuple[PlannedFile, ...]:
    def ptp(setting: str, kind: str) -> str:
        return f"medicare-ncci-{year}q{q}-{setting}-ptp-edits-{kind}-{version}-f{{part}}.zip"

    def mue(setting: str) -> str:
        return f"medicare-ncci-{year}-q{q}-{setting}-services-mue-table.zip"

    return (
        _file(
            Table.PTP_PRACTITIONER, ptp("practitioner", "ccipra"), doc=True, ama=True
        ),
        _file(
            Table.PTP_OUTPATIENT_HOSPITAL, ptp("hospital", "ccioph"), doc=True, ama=True
        ),
        _file(Table.MUE_PRACTITIONER, mue("practitioner"), doc=True),
        _file(
            Table.MUE_OUTPATIENT_HOSPITAL,
            mue("facility-outpatient-hospital"),
            mue("outpatient-hospital"),
            doc=False,
        ),
        _file(Table.MUE_DME, mue("dme-supplier"), doc=False),
    )


def _medicaid_files(year: int, q: int) -> tuple[PlannedFile, ...]:
    def names(kind: str, *settings: str) -> tuple[str, ...]:
        orders = (f"{year}-q{q}", f"q{q}-{year}")  # CMS uses both (domain.md §2)
        return tuple(
            f"medicaid-ncci-{o}-{kind}-edits-{s}.zip" for s in settings for o in orders
        )

    pra, oph = "practitioner-services", "outpatient-hospital-services"
    dme = ("durable-medical-equipment", "durable-medical-equipment-services")
    return (
        _file(Table.PTP_PRACTITIONER, *names("ptp", pra), doc=True, ama=True),
        _file(Table.PTP_OUTPATIENT_HOSPITAL, *names("ptp", oph), doc=False, ama=True),
        _file(Table.PTP_DME, *names("ptp", *dme), doc=False, ama=True),
        _file(Table.MUE_PRACTITIONER, *names("mue", pra), doc=False),
        _file(Table.MUE_OUTPATIENT_HOSPITAL, *names("mue", oph), doc=False),
        _file(Table.MUE_DME, *names("mue", *dme), doc=False),
    )


def _load_manifest(path: Path, say: Say) -> dict[str, dict[str, object]]:
    if not path.is_file():
        return {}
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))["files"]
        return {str(e["file"]): dict(e) for e in entries}
    except (OSError, ValueError, KeyError, TypeError):
        say(f"ignoring unreadable {path}")
        return {}


def _save_manifest(
    path: Path, plan: DownloadPlan, entries: dict[str, dict[str, object]]
) -> None:
    body = {
        "program": plan.program.value,
        "quarter": plan.quarter,
        "version": plan.version,
        "base_url": plan.base_url,
        "files": list(entries.values()),
    }
    tmp = path.with_name(path.name + ".tmp")
    try:
        with tmp.open("w", encoding="utf-8") as f:
            json.dump(body, f, indent=2)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        raise disk_error(path, exc) from None


def _reusable(path: Path, entry: dict[str, object] | None) -> bool:
    """The file is there and matches what ``fetch.json`` recorded for it."""
    if entry is None or not path.is_file() or path.stat().st_size != entry.get("bytes"):
        return False
    return hash_file(path).hexdigest() == entry.get("sha256")


def _not_found(plan: DownloadPlan, planned: PlannedFile, urls: list[str]) -> FetchError:
    why = f"{', '.join(urls)}: not found (HTTP 404)."
    if planned.ama_license and plan.version:
        why += (
            f" Its name holds the PTP version {plan.version}, predicted from {plan.quarter} "
            "(v + (year - 1994) + (quarter - 1), release r0; domain.md §6.1): CMS may "
            "not have published the quarter yet, or published a corrected release "
            "(try --version with r1, r2 ...)."
        )
    return FetchError(
        why + " Otherwise download the zips from the CMS NCCI pages and run "
        "`fluorocode editions import FILES`."
    )


def fetch_files(
    plan: DownloadPlan,
    dest: Path,
    *,
    accept_ama_license: bool = False,
    options: FetchOptions = DEFAULT_OPTIONS,
    say: Say | None = None,
    meter: Meter | None = None,
) -> FetchResult:
    """Download every file of ``plan`` into ``dest``; record them in ``dest/fetch.json``.

    A file already there and matching its ``fetch.json`` record is not downloaded again.

    Raises:
        FetchError: PTP files without ``accept_ama_license`` (before any request), a
            documented file not found, or any download failure.
    """
    tell = say or (lambda _message: None)
    gated = [p.names[0].format(part=1) for p in plan.files if p.ama_license]
    if gated and not accept_ama_license:
        raise FetchError(
            "the PTP zips sit behind the AMA CPT license click-through on cms.gov "
            f"(see {LICENSE_URL}{gated[0]}); downloading them means accepting that "
            "license: read it, then pass --accept-ama-license"
        )
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FetchError(f"{dest}: cannot create ({exc.strerror or exc})") from None
    manifest = dest / MANIFEST
    entries = _load_manifest(manifest, tell)
    files: list[FetchedFile] = []
    missing: list[str] = []

    def get(name: str) -> FetchedFile | None:
        path, url = dest / name, plan.url(name)
        entry = entries.get(name)
        if entry is not None and entry.get("url") == url and _reusable(path, entry):
            tell(f"{name}: already downloaded (sha256 {str(entry['sha256'])[:12]}...)")
            return FetchedFile(
                url,
                name,
                path.stat().st_size,
                str(entry["sha256"]),
                str(entry["fetched_at"]),
                path,
                reused=True,
            )
        tell(f"downloading {url}")
        got = download(
            url,
            path,
            (lambda d, t: meter(name, d, t)) if meter else None,
            options=options,
            missing_ok=True,
        )
        if got is None:
            return None
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        fetched = FetchedFile(url, name, got.bytes, got.sha256, stamp, path)
        entries[name] = fetched.to_dict()
        _save_manifest(manifest, plan, entries)
        return fetched

    for planned in plan.files:
        templates = planned.names
        for k in range(1, options.max_parts + 2):
            found = None
            for template in templates:
                found = get(template.format(part=k))
                if found is not None:
                    templates = (template,)
                    break
            if found is None:
                if k > 1:
                    tell(
                        f"{templates[0].format(part=k)}: not there, so {k - 1} part(s)"
                    )
                    break
                urls = [plan.url(t.format(part=1)) for t in templates]
                if planned.required:
                    raise _not_found(plan, planned, urls)
                missing.extend(urls)
                note = (
                    " (its name is inferred, not documented)"
                    if planned.inferred
                    else ""
                )
                tell(
                    f"skipped {planned.table.value}: not found at {', '.join(urls)}{note}"
                )
                break
            if k > options.max_parts:
                raise FetchError(f"{found.file}: more than {options.max_parts} parts")
            files.append(found)
            if not planned.series:
                break
    return FetchResult(tuple(files), tuple(missing), manifest)
