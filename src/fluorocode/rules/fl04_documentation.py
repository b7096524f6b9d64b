"""FL04 fluoro.documentation: what a billable 76000 must have on record.

**Policy source:** domain.md §5.3-§5.5: the Joint Commission (since 2019) requires
cumulative air kerma or kerma-area product to be recorded; a separately reported 76000
needs its own indication, a permanent image record and a separate signed report for the
professional component (IOM 100-04 ch. 13 "interpretation includes a written report"
[S14]; [S7, S8]). Plausibility ranges are the design choices of domain.md §5.4, defined
once in ``fluorocode.domain.limits`` (the note reader uses the same ones).

**Fails when:** a 76000 line that is not removed lacks any of: the indication, the
fluoroscopy time in minutes, a dose (air kerma and/or dose-area product), and on
professional claims saved images and a separate report (``fluoro.documentation-missing``:
hold with a ``fluoroscopy_documentation`` prompt listing what is missing; a documented
"no" for images or report counts as not met). A value is impossible or implausible:
negative, zero minutes, time over 600 min, air kerma over 50,000 mGy, dose-area product
over 10,000 Gy·cm² (``fluoro.documentation-invalid``: hold).

**Passes when:** everything is documented and plausible (a ``pass`` finding). Values at
substantial-radiation review levels (time over 60 min, air kerma at or over 5,000 mGy,
DAP at or over 500 Gy·cm²) add an ``info`` finding.

**Bypass:** none.

**Evidence emitted:** the normalised values (minutes, mGy, Gy·cm²) and, for any value
read from the note, its text span.
"""

from __future__ import annotations

from typing import Any, ClassVar

from fluorocode.domain.claim import FluoroDocumentation
from fluorocode.domain.codes import ClaimType
from fluorocode.domain.findings import Action, Finding, Prompt, PromptKind, Status
from fluorocode.domain.limits import (
    AIR_KERMA_MGY,
    DOSE_AREA_PRODUCT_GYCM2,
    MINUTES,
    Limit,
    Verdict,
    judge,
)
from fluorocode.rules.base import FLUORO, Outcome, RuleContext

CITATION = (
    "Joint Commission fluoroscopy standards (2019); IOM 100-04 ch. 13; "
    "21 CFR 1020.32 (fluoroscopic equipment: air kerma display)"
)


def missing_items(doc: FluoroDocumentation, claim_type: ClaimType) -> list[str]:
    """The contract's ``missing`` names, in the contract's order."""
    missing = []
    if doc.indication is None:
        missing.append("indication")
    if doc.minutes is None:
        missing.append("minutes")
    if not doc.has_dose:
        missing.append("dose")
    if claim_type is ClaimType.PROFESSIONAL:
        if doc.images_saved is not True:
            missing.append("images_saved")
        if doc.separate_report is not True:
            missing.append("separate_report")
    return missing


def invalid_values(doc: FluoroDocumentation) -> list[tuple[str, str]]:
    """Impossible or implausible values: (the contract's item name, what is wrong).

    The limits are :func:`fluorocode.domain.limits.judge`'s; on top of them a billed
    76000 needs a fluoroscopy time of more than zero (domain.md §5.4: "time = 0 while
    76000 is billed").
    """
    problems = []
    for item, limit, value in _measured(doc):
        if limit is MINUTES and value == 0:
            problems.append(
                (item, f"{limit.label} 0 {limit.unit} (must be more than 0)")
            )
            continue
        judgement = judge(limit.field, value)
        if judgement.refused:
            problems.append((item, judgement.reason))
    return problems


def review_levels(doc: FluoroDocumentation) -> list[str]:
    """Plausible values at a substantial-radiation review level, in plain words."""
    reasons = []
    for _, limit, value in _measured(doc):
        judgement = judge(limit.field, value)
        if judgement.verdict is Verdict.REVIEW:
            reasons.append(judgement.reason)
    return reasons


def _measured(doc: FluoroDocumentation) -> list[tuple[str, Limit, float]]:
    """(the contract's item name, its limit, the normalised value) of each value."""
    out = []
    if doc.minutes is not None:
        out.append(("minutes", MINUTES, doc.minutes))
    if doc.air_kerma is not None:
        out.append(("dose", AIR_KERMA_MGY, doc.air_kerma.normalised))
    if doc.dose_area_product is not None:
        out.append(("dose", DOSE_AREA_PRODUCT_GYCM2, doc.dose_area_product.normalised))
    return out


def values(doc: FluoroDocumentation) -> dict[str, Any]:
    return {
        "indication": doc.indication,
        "minutes": doc.minutes,
        "air_kerma_mgy": doc.air_kerma.normalised if doc.air_kerma else None,
        "dose_area_product_gycm2": (
            doc.dose_area_product.normalised if doc.dose_area_product else None
        ),
        "images_saved": doc.images_saved,
        "separate_report": doc.separate_report,
    }


class DocumentationRule:
    code: ClassVar[str] = "FL04"
    name: ClassVar[str] = "fluoro.documentation"
    emits: ClassVar[tuple[str, ...]] = (
        "fluoro.documentation-missing",
        "fluoro.documentation-invalid",
    )

    def evaluate(self, ctx: RuleContext) -> Outcome:
        out = Outcome()
        enc = ctx.encounter
        doc = enc.documentation
        reading = enc.note_reading
        evidence: dict[str, Any] = {"documented": values(doc)}
        if reading is not None and reading.filled:
            evidence["from_note"] = reading.spans_for(*reading.filled)
        for line in ctx.live_lines():
            if line.code != FLUORO:
                continue
            missing = missing_items(doc, enc.claim_type)
            problems = invalid_values(doc)
            # one prompt: what is absent, then what must be documented again
            recheck = {item for item, _ in problems}
            ask = [i for i in _ORDER if i in missing or i in recheck]
            if ask:
                out.act(line.index, Action.HOLD)
                again = [i for i in ask if i not in missing]
                question = "Before 76000 can be billed, document " + _listing(
                    [_ASK[m] for m in ask]
                )
                if again:
                    question += " (re-check " + ", ".join(again) + ": see the findings)"
                out.prompt(
                    Prompt(
                        PromptKind.FLUOROSCOPY_DOCUMENTATION,
                        line.index,
                        question + ".",
                        missing=tuple(ask),
                    )
                )
            if missing:
                out.findings.append(
                    Finding(
                        "fluoro.documentation-missing",
                        Status.FAIL,
                        (line.index,),
                        f"76000 (line {line.index}) lacks "
                        + _listing([_ASK[m] for m in missing])
                        + ": it is billable only once the provider documents them.",
                        evidence,
                        CITATION,
                    )
                )
            if problems:
                out.findings.append(
                    Finding(
                        "fluoro.documentation-invalid",
                        Status.FAIL,
                        (line.index,),
                        "Implausible fluoroscopy documentation: "
                        + "; ".join(text for _, text in problems)
                        + ". Check the value and its unit on the fluoroscope's dose report.",
                        evidence,
                        CITATION,
                    )
                )
            if not missing and not problems:
                review = review_levels(doc)
                out.findings.append(
                    Finding(
                        "fluoro.documentation-missing",
                        Status.PASS,
                        (line.index,),
                        "Indication, time, dose"
                        + (
                            ", saved images and a separate report"
                            if enc.claim_type is ClaimType.PROFESSIONAL
                            else ""
                        )
                        + " are documented."
                        + (" Note: " + "; ".join(review) + "." if review else ""),
                        evidence,
                        CITATION,
                    )
                )
        return out


def describe(items: list[str]) -> str:
    """The contract's item names in plain words: ``the indication ... and ...``."""
    return _listing([_ASK[i] for i in items])


def _listing(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


_ORDER = ("indication", "minutes", "dose", "images_saved", "separate_report")
_ASK = {
    "indication": "the indication for the fluoroscopy",
    "minutes": "the fluoroscopy time in minutes",
    "dose": "the radiation dose (reference air kerma and/or dose-area product, with unit)",
    "images_saved": "that images were saved (permanent record)",
    "separate_report": "a separate signed fluoroscopy report",
}
