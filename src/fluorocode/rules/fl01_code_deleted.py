"""FL01 fluoro.code-deleted: a code not valid on the date of service.

**Policy source:** 76001 was deleted effective 2019-01-01: every 76001 PTP edit ends
2018-12-31 and the code is absent from the 2024 PFS (domain.md §0.1, §1.1 [S1]). Deleted
codes are reviewed data in ``rules/policy/fluoroscopy.toml``.

**Fails when:** a line's code is deleted as of the date of service: remove it. For 76001
the report says that fluoroscopy over an hour adds no code or unit: report 76000 once, if
it is separately billable at all.

**Passes when:** the code is valid on that date (nothing is emitted).

**Bypass:** none.

**Evidence emitted:** the code, the first invalid date, its replacement, the source.
"""

from __future__ import annotations

from typing import ClassVar

from fluorocode.domain.findings import Action, Finding, Status
from fluorocode.rules.base import Outcome, RuleContext
from fluorocode.rules.policy import fluoro_policy


class CodeDeletedRule:
    code: ClassVar[str] = "FL01"
    name: ClassVar[str] = "fluoro.code-deleted"
    emits: ClassVar[tuple[str, ...]] = ("fluoro.code-deleted",)

    def evaluate(self, ctx: RuleContext) -> Outcome:
        out = Outcome()
        dos = ctx.encounter.date_of_service
        for line in ctx.lines:
            deleted = fluoro_policy().deleted.get(line.code)
            if deleted is None or dos < deleted.invalid_from:
                continue
            out.act(line.index, Action.REMOVE)
            out.findings.append(
                Finding(
                    "fluoro.code-deleted",
                    Status.FAIL,
                    (line.index,),
                    f"{line.code} (line {line.index}) is not valid for dates of service from "
                    f"{deleted.invalid_from.isoformat()}: {deleted.note}. Remove it; report "
                    f"{deleted.replacement} once instead, only if it is separately billable.",
                    {
                        "code": line.code,
                        "invalid_from": deleted.invalid_from.isoformat(),
                        "replacement": deleted.replacement,
                        "source": deleted.source,
                    },
                    "CMS NCCI PTP history (every 76001 edit ends 2018-12-31); CMS PFS 2019",
                )
            )
        return out
