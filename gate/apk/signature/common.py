"""What every scheme of the signature verifier shares: limits, the in-memory reader, capped problem lists."""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator

from gate.apk.archive import CHUNK, Source, ZipEntry, ZipFormatError, entry_chunks
from gate.apk.signature_report import SchemeResult, SignerCert
from gate.defaults import MIB

MAX_PROBLEMS = 50  # per scheme; the rest are summarised in one line
MAX_SIGNERS = 10  # as apksig's Constants.MAX_APK_SIGNERS
MAX_SIGNATURES = 10  # per signer: one per known algorithm; more is a denial-of-service attempt
MAX_CERTIFICATES = 100  # per signature block or lineage
MAX_META_FILE = 64 * MIB  # bytes: MANIFEST.MF, .SF and signature block files
INFLATE_BUDGET_FLOOR = 256 * MIB  # bytes v1 may inflate in total: max(floor, ratio * file size)
INFLATE_BUDGET_RATIO = 64


class Reader:
    """Cursor over an in-memory value with bounds-checked little-endian reads."""

    def __init__(self, data: bytes, what: str) -> None:
        self._data = data
        self._pos = 0
        self.what = what

    @property
    def remaining(self) -> int:
        return len(self._data) - self._pos

    def take(self, length: int) -> bytes:
        if length < 0 or length > self.remaining:
            raise ZipFormatError(f"{self.what}: truncated (needs {length} bytes, {self.remaining} left)")
        value = self._data[self._pos : self._pos + length]
        self._pos += length
        return value

    def u32(self) -> int:
        value: int = struct.unpack("<I", self.take(4))[0]
        return value

    def i32(self) -> int:
        value: int = struct.unpack("<i", self.take(4))[0]
        return value

    def prefixed(self) -> bytes:
        """A uint32-length-prefixed byte string."""
        return self.take(self.u32())

    def sub(self, what: str) -> Reader:
        """A uint32-length-prefixed nested structure."""
        return Reader(self.prefixed(), f"{self.what}: {what}")

    def items(self, what: str) -> Iterator[Reader]:
        """Consecutive length-prefixed items until the end (each costs >= 4 bytes)."""
        index = 0
        while self.remaining:
            index += 1
            yield self.sub(f"{what} #{index}")



class Findings:
    """Problems and notes of one scheme, with the problem list capped for readability."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.notes: list[str] = []
        self._dropped = 0

    def problem(self, text: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(text)
        else:
            self._dropped += 1

    def note(self, text: str) -> None:
        if len(self.notes) < MAX_PROBLEMS:
            self.notes.append(text)

    @property
    def failed(self) -> bool:
        return bool(self.problems)

    def result(
        self,
        scheme: str,
        certificates: Iterable[SignerCert],
        sdk_ranges: tuple[tuple[int, int], ...] = (),
        lineage: tuple[SignerCert, ...] = (),
    ) -> SchemeResult:
        problems = list(self.problems)
        if self._dropped:
            problems.append(f"... and {self._dropped} more problems")
        return SchemeResult(
            scheme, not problems, tuple(problems), tuple(certificates), tuple(self.notes), sdk_ranges, lineage
        )


def read_entry(src: Source, entry: ZipEntry, cd_offset: int) -> bytes:
    """The whole uncompressed content of a small (metadata) entry."""
    if entry.uncompressed_size > min(MAX_META_FILE, INFLATE_BUDGET_RATIO * src.size + CHUNK):
        raise ZipFormatError(f"{entry.name} is implausibly large ({entry.uncompressed_size} bytes)")
    return b"".join(entry_chunks(src, entry, cd_offset))
