"""The public surface: ``__all__`` is sorted, complete and every name resolves."""

from __future__ import annotations

import pickle

import fluorocode
from fluorocode.errors import ClaimInputError, EditFileFormatError, FieldError


def test_all_is_sorted_and_resolves() -> None:
    assert fluorocode.__all__ == sorted(fluorocode.__all__)
    for name in fluorocode.__all__:
        assert getattr(fluorocode, name) is not None


def test_errors_pickle_with_their_fields() -> None:
    err = EditFileFormatError(
        "ccipra-v302r0-f1.TXT", "bad date", line=12, column="Effective"
    )
    back = pickle.loads(pickle.dumps(err))
    assert (back.file, back.line, back.column, str(back)) == (
        err.file,
        12,
        "Effective",
        str(err),
    )
    claim = ClaimInputError([FieldError("lines[0].code", "bad")])
    assert pickle.loads(pickle.dumps(claim)).errors == claim.errors
