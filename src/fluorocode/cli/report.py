"""``fluorocode report``: the practice self-audit page of a batch's output."""

from __future__ import annotations

import click

from fluorocode.api import write_audit_report


@click.command("report")
@click.argument("batch_dir", type=click.Path(file_okay=False, exists=True))
@click.option(
    "--output",
    "-o",
    required=True,
    type=click.Path(dir_okay=False),
    help="The HTML file to write (static, offline: opens with no network).",
)
@click.option(
    "--rvu",
    type=click.Path(dir_okay=False, exists=True),
    default=None,
    help="CMS PFS RVU file as TSV (hcpcs_code, mod, rvu_non_sum, rvu_fac_sum, cf), "
    "for dollars at risk.",
)
def report_command(batch_dir: str, output: str, rvu: str | None) -> None:
    """Draw the self-audit report of a `fluorocode batch` output directory.

    Charts: 76000 lines and how they ended per provider and place of service; the
    use of 59/XE/XS/XP/XU per provider against the batch; the edits hit most often;
    dollars at risk when RVUs are given.

    Example: fluorocode report audit/ --output audit/report.html
    """
    figures = write_audit_report(batch_dir, output, rvu)
    click.echo(
        f"wrote {output}: {figures['lines']:,} lines, {figures['outliers']} "
        "bypass-modifier outlier(s)",
        err=True,
    )
