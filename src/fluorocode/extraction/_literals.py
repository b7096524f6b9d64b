"""Where the literals of the search hints occur in a note: listed once, lazily, bounded.

:class:`Literals` answers :meth:`fluorocode.extraction._text.Scan.positions`: the
offsets of a literal (``starts`` / ``anchors`` of the pattern data), cached per note,
listed only as far as a search asks (:meth:`Scan.first` stops at its best match so
far) and never more than ``MAX_TRIES + 1`` of them. A literal with an upper-case letter
is looked up in the note as given, any other in its lower-cased copy.

Two shortcuts for long notes, neither of which changes a result: a literal one of whose
letters is nowhere in the note is not looked up at all, and an ASCII literal is looked
up in a one-byte-per-character copy of a note that holds wider characters.
"""

from __future__ import annotations

from functools import cache
from typing import AnyStr

__all__ = ["MAX_TRIES", "Literals", "has_upper"]

MAX_TRIES = 2000  # places a pattern is tried (literal occurrences, lines)
_CHAR_CHECK = 65_536  # from this length on, a literal's letters are checked first


@cache
def has_upper(literal: str) -> bool:
    """True when a literal is looked up case-sensitively (it has an upper-case letter)."""
    return literal != literal.lower()


@cache
def _chars(literal: str) -> frozenset[str]:
    return frozenset(literal)


class Literals:
    """The occurrences of literals in one note (and its lower-cased copy)."""

    def __init__(self, text: str, low: str) -> None:
        self._text = text
        self._low = low
        self._positions: dict[str, tuple[list[int], int]] = {}
        self._narrow: dict[str, bytes] = {}
        self._present: dict[tuple[bool, str], bool] = {}

    def positions(self, literal: str, upto: int | None = None) -> tuple[list[int], int]:
        """Offsets of ``literal`` in order, listed as far as asked.

        Args:
            literal: what to look up (see :meth:`_haystack` for where).
            upto: list the occurrences that start before this offset (default: all).

        Returns:
            The offsets listed so far (possibly beyond ``upto``) and the offset before
            which the listing is complete: ``upto`` or the end of the note, or less
            when the listing stopped at ``MAX_TRIES + 1`` occurrences.
        """
        n = len(self._text)
        entry = self._positions.get(literal)
        if n < _CHAR_CHECK:  # a short note: listed whole at once, the plain way
            if entry is None:
                text = self._text if has_upper(literal) else self._low
                listed: list[int] = []
                i = text.find(literal)
                while i != -1 and len(listed) <= MAX_TRIES:
                    listed.append(i)
                    i = text.find(literal, i + 1)
                done = n if len(listed) <= MAX_TRIES else listed[-1] + 1
                entry = self._positions[literal] = (listed, done)
            return entry
        stop = n if upto is None or upto > n else upto
        if entry is not None and (entry[1] >= stop or len(entry[0]) > MAX_TRIES):
            return entry
        if entry is None:
            if not self._may_hold(literal):
                entry = self._positions[literal] = ([], n)
                return entry
            entry = ([], 0)
        found, done = entry
        if done < stop:
            exact = has_upper(literal)
            hay = self._haystack(exact, literal.isascii())
            if isinstance(hay, bytes):
                done = _find_more(hay, literal.encode("ascii"), found, done, stop)
            else:
                done = _find_more(hay, literal, found, done, stop)
            entry = self._positions[literal] = (found, done)
        return entry

    def _may_hold(self, literal: str) -> bool:
        """False when a character of ``literal`` is nowhere in the note.

        A cheap test (``in`` on one character is a ``memchr``) that spares a full
        ``str.find`` pass, which is slowest precisely on text made of the literal's
        own letters ("aaaa..." for "gray").
        """
        exact = has_upper(literal)
        hay = self._text if exact else self._low
        for ch in _chars(literal):
            key = (exact, ch)
            present = self._present.get(key)
            if present is None:
                present = self._present[key] = ch in hay
            if not present:
                return False
        return True

    def _haystack(self, exact: bool, ascii_literal: bool) -> str | bytes:
        """Where to look a literal up: the note (``exact``) or its lower-cased copy.

        For an ASCII literal, a one-byte-per-character copy (Latin-1, anything beyond
        it as ``?``): the offsets are the same, and a note holding a single character
        beyond Latin-1 (a typographic apostrophe) is stored two or four bytes per
        character, which ``str.find`` scans more slowly (about 1.4x on the 5 MB
        benchmark text made of the real notes).
        """
        source = self._text if exact else self._low
        if not ascii_literal or source.isascii():
            return source
        key = "text" if exact else "low"
        narrow = self._narrow.get(key)
        if narrow is None:
            narrow = self._narrow[key] = source.encode("latin-1", "replace")
        return narrow


def _find_more(
    hay: AnyStr, needle: AnyStr, found: list[int], start: int, stop: int
) -> int:
    """Append the offsets of ``needle`` starting in [start, stop) to ``found``.

    Stops once ``found`` holds ``MAX_TRIES + 1`` offsets. Returns the offset before
    which ``found`` is now complete.
    """
    limit = stop + len(needle) - 1
    i = hay.find(needle, start, limit)
    while i != -1:
        found.append(i)
        if len(found) > MAX_TRIES:
            return i + 1
        i = hay.find(needle, i + 1, limit)
    return stop
