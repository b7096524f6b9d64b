"""Payer profile texts for the tests: each departure alone, with a real-looking source."""

from __future__ import annotations

from fluorocode.rules.payers import PayerProfile, parse_profile

HEAD = """format = 1
id = "{pid}"
name = "Test plan {pid}"
base_program = "{base}"
"""

ONLY_59 = """
[ptp_bypass_modifiers]
modifiers = ["59", "24", "25", "57", "58", "78", "79", "91", "LT", "RT"]
source = "test payer modifier policy 59-only"
"""

GLOBAL_IN_FACILITY = """
[global_billing_in_facility]
allowed = true
source = "test payer PC/TC policy"
"""

MUE = """
[mue_basis]
basis = "{basis}"
source = "test payer units policy"
"""

BUNDLE = """
[[extra_bundles]]
id = "{bid}"
codes = {codes}
column2 = ["76000"]
indicator = {indicator}
source = "Highmark BCBS WV medical policy X-23: https://www.highmarkbcbswv.com/medpolicy/X-23-003.html"
"""


def text(pid: str = "acme", base: str = "medicare", *sections: str) -> str:
    return HEAD.format(pid=pid, base=base) + "".join(sections)


def profile(*sections: str, pid: str = "acme", base: str = "medicare") -> PayerProfile:
    return parse_profile(text(pid, base, *sections), f"{pid}.toml")


def bundle(codes: list[str], indicator: int, bid: str = "b1") -> str:
    import json

    return BUNDLE.format(bid=bid, codes=json.dumps(codes), indicator=indicator)
