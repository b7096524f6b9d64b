"""identify(): every CMS name form, the quarter rules, unknown names."""

from __future__ import annotations

import pytest

from fluorocode.adapters.cms.filenames import FileIdentity, identify, quarter_of_version
from fluorocode.domain.codes import Program
from fluorocode.domain.edits import Table
from fluorocode.errors import UnknownFileError

MCR, MCD = Program.MEDICARE, Program.MEDICAID

CASES = {
    # bare PTP files: the quarter is derived from the version
    "ccipra-v322r0-f1.TXT": (Table.PTP_PRACTITIONER, MCR, "2026Q3", "v322r0", 1, False),
    "ccipra-v302r0-f4.txt": (Table.PTP_PRACTITIONER, MCR, "2024Q3", "v302r0", 4, False),
    "ccioph-v321r1-f3.xlsx": (
        Table.PTP_OUTPATIENT_HOSPITAL,
        MCR,
        "2026Q2",
        "v321r1",
        3,
        False,
    ),
    "CCIPRA-V313R0-F2.TXT": (Table.PTP_PRACTITIONER, MCR, "2025Q4", "v313r0", 2, False),
    "ccipra-v324r0-f1.TXT": (Table.PTP_PRACTITIONER, MCR, None, "v324r0", 1, False),
    # CMS zips: the quarter is in the name
    "medicare-ncci-2026q3-practitioner-ptp-edits-ccipra-v322r0-f1.zip": (
        Table.PTP_PRACTITIONER,
        MCR,
        "2026Q3",
        "v322r0",
        1,
        True,
    ),
    "medicare-ncci-2026q2-hospital-ptp-edits-ccioph-v321r0-f1.zip": (
        Table.PTP_OUTPATIENT_HOSPITAL,
        MCR,
        "2026Q2",
        "v321r0",
        1,
        True,
    ),
    "medicare-ncci-2026-q3-practitioner-services-mue-table.zip": (
        Table.MUE_PRACTITIONER,
        MCR,
        "2026Q3",
        None,
        None,
        True,
    ),
    "medicare-ncci-2026-q1-outpatient-hospital-services-mue-table.zip": (
        Table.MUE_OUTPATIENT_HOSPITAL,
        MCR,
        "2026Q1",
        None,
        None,
        True,
    ),
    "medicare-ncci-2026-q1-dme-supplier-services-mue-table.zip": (
        Table.MUE_DME,
        MCR,
        "2026Q1",
        None,
        None,
        True,
    ),
    # MUE files: the quarter of the effective date
    "MCR_MUE_PractitionerServices_Eff_07-01-2026.csv": (
        Table.MUE_PRACTITIONER,
        MCR,
        "2026Q3",
        None,
        None,
        False,
    ),
    "MCR_MUE_OutpatientHospitalServices_Eff_10-01-2025.xlsx": (
        Table.MUE_OUTPATIENT_HOSPITAL,
        MCR,
        "2025Q4",
        None,
        None,
        False,
    ),
    "MCR_MUE_DMESupplierServices_Eff_02-15-2024.csv": (
        Table.MUE_DME,
        MCR,
        "2024Q1",
        None,
        None,
        False,
    ),
    # AOC, PFS
    "AOC_V2024Q2-MCR.txt": (Table.AOC, MCR, "2024Q2", None, None, False),
    "AOC_V2025Q4_01-MCR.xlsx": (Table.AOC, MCR, "2025Q4", None, None, False),
    "PPRRVU24_JUL.csv": (Table.PFS, MCR, "2024Q3", None, None, False),
    "PPRRVU2026_Oct_QPP.csv": (Table.PFS, MCR, "2026Q4", None, None, False),
    "PPRRVU25_JAN.xlsx": (Table.PFS, MCR, "2025Q1", None, None, False),
    "RVU24C.zip": (Table.PFS, MCR, "2024Q3", None, None, True),
    # Medicaid zips, both quarter/year orders
    "medicaid-ncci-2026-q3-ptp-edits-practitioner-services.zip": (
        Table.PTP_PRACTITIONER,
        MCD,
        "2026Q3",
        None,
        None,
        True,
    ),
    "medicaid-ncci-q2-2026-ptp-edits-practitioner-services.zip": (
        Table.PTP_PRACTITIONER,
        MCD,
        "2026Q2",
        None,
        None,
        True,
    ),
    "medicaid-ncci-2026-q3-ptp-edits-durable-medical-equipment.zip": (
        Table.PTP_DME,
        MCD,
        "2026Q3",
        None,
        None,
        True,
    ),
    "medicaid-ncci-q1-2026-mue-edits-practitioner-services.zip": (
        Table.MUE_PRACTITIONER,
        MCD,
        "2026Q1",
        None,
        None,
        True,
    ),
    "medicaid-ncci-2026-q3-ptp-edits-outpatient-hospital-services.zip": (
        Table.PTP_OUTPATIENT_HOSPITAL,
        MCD,
        "2026Q3",
        None,
        None,
        True,
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_identify(name: str) -> None:
    assert identify(name) == FileIdentity(*CASES[name])


def test_paths_and_zip_members() -> None:
    assert identify("/data/cms/ccipra-v302r0-f1.TXT").quarter == "2024Q3"
    assert identify("C:\\cms\\AOC_V2024Q2-MCR.txt").table is Table.AOC
    member = "medicare-ncci-2026q3-practitioner-ptp-edits-ccipra-v322r0-f1.zip!ccipra-v322r0-f1.TXT"
    assert identify(member) == FileIdentity(
        Table.PTP_PRACTITIONER, MCR, "2026Q3", "v322r0", 1, False
    )
    # a quarter stated by the zip's name wins over the one derived from the version
    odd = "medicare-ncci-2026q4-practitioner-ptp-edits-ccipra-v324r0-f1.zip!ccipra-v324r0-f1.TXT"
    assert identify(odd).quarter == "2026Q4"
    assert identify("download.zip!folder/ccipra-v322r0-f2.TXT").part == 2


def test_quarter_of_version() -> None:
    assert quarter_of_version("v302r0") == "2024Q3"
    assert quarter_of_version("v320r1") == "2026Q1"
    assert quarter_of_version("v301r0") == "2024Q2"
    assert quarter_of_version("v324r0") is None
    assert quarter_of_version("nonsense") is None


@pytest.mark.parametrize(
    "name",
    [
        "notes.txt",
        "ccipra-v322-f1.TXT",
        "ccipra-v322r0-f1.csv",
        "MCR_MUE_PractitionerServices_Eff_13-01-2026.csv",
        "PPRRVU24_JUL.txt",
        "medicare-ncci-2026q3-hospital-ptp-edits-ccipra-v322r0-f1.zip",
        "medicaid-ncci-2026-q3-ptp-edits-dental.zip",
        "",
    ],
)
def test_unknown_names(name: str) -> None:
    with pytest.raises(UnknownFileError, match="not a CMS NCCI/PFS file name"):
        identify(name)


def test_quarterly_changes_zip_is_not_an_edit_table() -> None:
    name = "medicare-ncci-2026q2-practitioner-quarterly-additions-deletions-revisions-ptp.zip"
    with pytest.raises(UnknownFileError, match="additions/deletions"):
        identify(name)
