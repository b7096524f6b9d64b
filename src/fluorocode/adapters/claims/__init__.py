"""Claims where they live: X12 5010 837P/837I files and FHIR R4 Claims (docs/claims.md).

- ``x12_segments``: delimiters from the ISA, segments streamed, envelopes checked;
- ``x12_837``: 837P/837I claims -> encounters, with the segment of every value;
- ``x12_write``: the corrected 837 in the sender's own layout;
- ``fhir_claim`` / ``fhir_write``: FHIR R4 Claim or Bundle in, Bundle of corrected
  Claims and OperationOutcomes out (validated with fhir.resources);
- ``fhir_payer``: a Claim's ``insurer`` -> the payer profile listing its identifier;
- ``bill_types``: which institutional bills the edits apply to;
- ``model``: the encounters the readers produce and what goes out per claim.

Readers only read: the contract's validation (``domain.encounter_input``) and the
engine decide, through ``fluorocode.api``.
"""
