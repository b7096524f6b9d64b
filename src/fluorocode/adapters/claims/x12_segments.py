"""X12 syntax: delimiters from the ISA segment, segments, envelopes (docs/claims.md).

The file is read in chunks and cut into segments as it streams, so a large 837 is never
held whole: only one transaction set (ST...SE) at a time, which is what the claim
reader and the writer work on.

Accepted layouts, as real senders write them: a UTF-8 byte-order mark; indentation and
line breaks between segments; a line break as the segment terminator. Each segment keeps
the text around it (``lead``, ``end``), so an unchanged file is written back byte for
byte. Refused with :class:`X12ParseError`, naming the segment: UTF-16 text, a truncated
ISA, a 4010 (or any non-5010-837) file, a segment outside its envelope, and control
counts or numbers that do not match (SE01, GE01, IEA01, ST02/SE02, GS06/GE02,
ISA13/IEA02).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO, NoReturn

from fluorocode.adapters.claims.errors import X12ParseError

#: Implementation guides read, by GS08/ST03 value: P professional, I institutional.
VERSIONS = {
    "005010X222A1": "P",
    "005010X222": "P",
    "005010X223A2": "I",
    "005010X223A1": "I",
    "005010X223": "I",
}
_SEGMENT_ID = re.compile(r"^[A-Z][A-Z0-9]{1,2}$")
_CHUNK = 1 << 16


@dataclass(frozen=True, slots=True)
class Delimiters:
    """The separators an interchange declares in its ISA segment."""

    element: str
    component: str
    repetition: str
    terminator: (
        str  # "~" and the like, or "\n" / "\r" when segments end at a line break
    )


@dataclass(slots=True)
class Segment:
    """One segment as written: the whitespace before it, its text, its terminator."""

    index: int  # 1-based position in the file
    lead: str
    text: str
    end: str
    elements: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.elements[0]

    def element(self, n: int) -> str:
        """Element ``n`` (1-based, as the guides count), ``""`` when absent."""
        return self.elements[n] if n < len(self.elements) else ""

    def render(self) -> str:
        return self.lead + self.text + self.end


class SegmentReader:
    """Cut a byte stream into segments, reading the delimiters from its ISA.

    Args:
        stream: the file, opened in binary mode.
        name: the file's name for messages.

    Attributes:
        bom: the UTF-8 byte-order mark if the file starts with one, else ``""``.
        delimiters: set once the ISA is read (before the first segment is yielded).
        tail: whatever follows the last terminator (trailing line breaks), set at the end.
    """

    def __init__(self, stream: BinaryIO, name: str) -> None:
        self.stream, self.name = stream, name
        self.bom = ""
        self.tail = ""
        self.delimiters = Delimiters("*", ":", "^", "~")
        self._decoder = codecs.getincrementaldecoder("utf-8")("strict")
        self._offset = 0

    def _read(self) -> str:
        chunk = self.stream.read(_CHUNK)
        try:
            text = self._decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as exc:
            raise X12ParseError(
                self.name,
                f"not UTF-8 text (byte {self._offset + exc.start}): an X12 file is "
                "ASCII; convert it",
            ) from None
        self._offset += len(chunk)
        return text

    def _head(self) -> str:
        first = self.stream.read(64)
        if b"\x00" in first or first.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise X12ParseError(
                self.name,
                "the file is UTF-16 text: X12 is ASCII; save it as UTF-8 or ASCII",
            )
        head = self._decoder.decode(first)
        self._offset = len(first)
        while len(head) < 4096:
            more = self._read()
            if not more:
                break
            head += more
        if head.startswith("\ufeff"):
            self.bom, head = "\ufeff", head[1:]
        return head

    def __iter__(self) -> Iterator[Segment]:
        buffer = self._head()
        lead_len = len(buffer) - len(buffer.lstrip())
        if not buffer[lead_len:].startswith("ISA"):
            raise X12ParseError(
                self.name, "not an X12 file: it does not start with ISA"
            )
        self.delimiters = _delimiters(self.name, buffer[lead_len:])
        term = self.delimiters.terminator
        index = 0
        lead_extra = ""
        while True:
            more = self._read()
            buffer += more
            pieces = buffer.split(term)
            buffer = pieces.pop()  # an unfinished segment waits for the next chunk
            for piece in pieces:
                end = term
                if term == "\n" and piece.endswith("\r"):
                    piece, end = piece[:-1], "\r\n"
                body = piece.lstrip()
                if not body:
                    lead_extra += piece + end  # a blank line: part of the next lead
                    continue
                index += 1
                lead = lead_extra + piece[: len(piece) - len(body)]
                lead_extra = ""
                yield _segment(self.name, index, lead, body, end, self.delimiters)
            if not more:
                break
        if buffer.strip() and term in "\r\n":
            body = buffer.lstrip()  # the last line of a file without a final line break
            index += 1
            yield _segment(self.name, index, lead_extra + buffer[: len(buffer) - len(body)],
                           body, "", self.delimiters)  # fmt: skip
            lead_extra = buffer = ""
        if buffer.strip():
            index += 1
            raise X12ParseError(
                self.name,
                "the file ends inside a segment (no segment terminator): truncated?",
                index,
                buffer.strip()[:3],
            )
        self.tail = lead_extra + buffer


def _delimiters(name: str, isa: str) -> Delimiters:
    """Read the separators from the ISA: element after "ISA", ISA11, ISA16, the next."""
    element = isa[3] if len(isa) > 3 else ""
    if not element or element.isalnum() or element.isspace():
        raise X12ParseError(
            name, "truncated ISA segment: no element separator", 1, "ISA"
        )
    positions = [i for i, c in enumerate(isa[:200]) if c == element][:16]
    if len(positions) < 16 or len(isa) < positions[15] + 3:
        raise X12ParseError(
            name,
            "truncated ISA segment: 16 elements and a segment terminator expected, "
            f"found {len(positions)} element separators",
            1,
            "ISA",
        )
    start = positions[15] + 1
    component, terminator = isa[start], isa[start + 1]
    if terminator == "\r" and isa[start + 2 : start + 3] == "\n":
        terminator = "\n"
    repetition = isa[positions[10] + 1 : positions[11]]
    if isa[positions[11] + 1 : positions[12]] == "00401":
        raise X12ParseError(
            name,
            "X12 version 4010 (ISA12 00401) is not supported: fluorocode reads 5010 837 "
            "files (005010X222A1, 005010X223A2); have the file sent as 5010",
            1,
            "ISA",
        )
    if component.isalnum() or component == element or terminator.isalnum():
        raise X12ParseError(
            name, "ISA16 and the segment terminator are not separators", 1, "ISA"
        )
    return Delimiters(element, component, repetition, terminator)


def _segment(
    name: str, index: int, lead: str, body: str, end: str, d: Delimiters
) -> Segment:
    elements = body.split(d.element)
    if not _SEGMENT_ID.match(elements[0]):
        raise X12ParseError(
            name, f"{elements[0][:10]!r} is not a segment id", index, elements[0][:3]
        )
    return Segment(index, lead, body, end, elements)


@dataclass(slots=True)
class Transaction:
    """One transaction set, ST to SE, with the guide it follows."""

    segments: list[Segment]
    version: str  # ST03, else GS08
    kind: str  # "P" or "I"

    @property
    def control(self) -> str:
        return self.segments[0].element(2)


def envelopes(reader: SegmentReader) -> Iterator[Segment | Transaction]:
    """Envelope segments (ISA, GS, GE, IEA) and whole transactions, in file order.

    Raises:
        X12ParseError: a segment outside its envelope, a count or control number that
            does not match, a guide that is not a 5010 837P/837I.
    """
    name = reader.name
    isa: Segment | None = None
    gs: Segment | None = None
    groups = transactions = 0
    current: list[Segment] | None = None
    for seg in reader:
        sid = seg.id
        if current is not None:
            current.append(seg)
            if sid == "SE":
                yield _close_transaction(name, current, gs)
                transactions += 1
                current = None
            elif sid in ("ST", "GE", "IEA", "GS", "ISA"):
                _fail(name, seg, "the transaction set is not closed by an SE segment")
            continue
        if sid == "ISA":
            if isa is not None:
                _fail(name, seg, "an ISA inside an interchange (IEA missing)")
            isa, groups = seg, 0
        elif sid == "GS":
            if isa is None or gs is not None:
                _fail(name, seg, "a GS outside an interchange, or GE missing")
            gs, transactions = seg, 0
        elif sid == "ST":
            if gs is None:
                _fail(name, seg, "an ST outside a functional group (GS missing)")
            current = [seg]
            continue
        elif sid == "GE":
            if gs is None:
                _fail(name, seg, "a GE without its GS")
            _count(name, seg, transactions, "transaction sets")
            _same(name, seg, seg.element(2), gs.element(6), "GE02", "GS06")
            gs, groups = None, groups + 1
        elif sid == "IEA":
            if isa is None or gs is not None:
                _fail(name, seg, "an IEA without its ISA, or GE missing")
            _count(name, seg, groups, "functional groups")
            _same(name, seg, seg.element(2), isa.element(13), "IEA02", "ISA13")
            isa = None
        else:
            _fail(name, seg, "a segment outside a transaction set (ST ... SE)")
        yield seg
    if current is not None or gs is not None or isa is not None:
        missing = "SE" if current is not None else "GE" if gs is not None else "IEA"
        raise X12ParseError(name, f"the file ends before its {missing}: truncated?")


def _close_transaction(
    name: str, segments: list[Segment], gs: Segment | None
) -> Transaction:
    st, se = segments[0], segments[-1]
    if st.element(1) != "837":
        _fail(name, st, f"transaction set {st.element(1)!r} is not an 837 claim")
    _count(name, se, len(segments), "segments (ST to SE)")
    _same(name, se, se.element(2), st.element(2), "SE02", "ST02")
    assert gs is not None
    version = st.element(3) or gs.element(8)
    if version.startswith("004010"):
        _fail(name, st, f"X12 version {version} (4010) is not supported: send 5010")
    kind = VERSIONS.get(version)
    if kind is None:
        _fail(
            name,
            st,
            f"guide {version!r} is not a 5010 837P (005010X222A1) or 837I (005010X223A2)",
        )
    assert kind is not None
    return Transaction(segments, version, kind)


def _count(name: str, seg: Segment, actual: int, what: str) -> None:
    declared = seg.element(1)
    if declared != str(actual) and declared.lstrip("0") != str(actual):
        _fail(
            name,
            seg,
            f"{seg.id}01 says {declared!r} {what}, the file has {actual}",
        )


def _same(name: str, seg: Segment, value: str, expected: str, a: str, b: str) -> None:
    if value.strip() != expected.strip():
        _fail(name, seg, f"{a} {value!r} does not match {b} {expected!r}")


def _fail(name: str, seg: Segment, reason: str) -> NoReturn:
    raise X12ParseError(name, reason, seg.index, seg.id)
