"""Replay: re-check saved encounters against another edition (docs/replay.md).

- ``compare``: a check's verdict, how two verdicts differ, the edit rows behind them;
- ``run``: replaying encounters (JSON) or audit records, one result each, and the
  summary.
"""
