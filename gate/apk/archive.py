"""The one reader of hostile ZIP archives: where the directory is, which archives are refused, bounded reads.

Both readers of an upload go through here: the intake (``gate.apk.reader``, which inflates entries with
``zipfile`` once this module has accepted the archive) and the signature verifier (``gate.apk.signature``,
which reads entries and sections with :class:`Source` and :func:`entry_chunks`). They therefore give one
answer for each of these questions, and the answer is Android's own:

* **Where the end-of-central-directory record (EOCD) is.** The last ``PK\\x05\\x06`` signature in the final
  64 KiB + 22 bytes, as libziparchive (the platform's ZIP reader) scans. Its comment must end exactly at
  the end of the file: libziparchive refuses "extraneous bytes at the end of the central directory", and
  apksig's ``ZipUtils.findZipEndOfCentralDirectoryRecord`` only accepts a record whose comment length
  reaches the end. Taking the last signature (and not apksig's "last record whose length fits") also
  closes the trick of a second EOCD hidden in the comment, which ``zipfile`` would pick while another
  reader picked the first. No signature at all: the file is not a ZIP (:func:`find_sections` gives None).
* **ZIP64.** Refused. apksig's ``ApkUtils.findZipSections`` and the framework's v2+ verifier
  (``android.util.apk``) throw "ZIP64 APK not supported", so no ZIP64 APK carries a signature Android
  accepts (v2 is required from targetSdk 30); recent libziparchive reads ZIP64, older releases did not.
  Nothing under the gate's limits (50,000 entries, 512 MiB) needs it: a ZIP64 record in an APK is there to
  make readers disagree. Its declared sizes are still read, so that an archive claiming millions of
  entries is reported against the limits first.
* **Where the central directory is.** It must end where the EOCD begins. More is an overlap (libziparchive:
  "bad offsets"; apksig: "central directory overlaps the End of Central Directory record"); less is what
  the framework's v2 verifier refuses ("ZIP Central Directory is not immediately followed by End of
  Central Directory"), and ``zipfile`` takes the gap for a prefix and shifts every offset by it, reading
  other bytes than Android does.
* **Duplicate names.** Refused: libziparchive answers ``kDuplicateEntry`` and the package manager refuses
  the APK; two readers would otherwise read two different files under one name.
* **Names that escape the archive** (absolute, ``..``, drive letters). Refused: no build tool writes them.
* **Overlapping entries.** Refused: each entry's local header, name and data must end before the next
  entry begins, and the last before the central directory (the trick behind zip bombs without nesting).
* **Lying sizes.** An entry inflates to exactly its declared size or it is damaged: :func:`inflate`
  stops at the declared size, and ``zipfile`` checks size and CRC at the end of each read. A local header
  whose name differs from the central directory's is refused when the entry is read (apksig's check).

Every read is checked against the file size; nothing here trusts a declared length before comparing it
with the bytes that exist.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import BinaryIO

from gate.errors import GateError

EOCD_MAGIC = b"PK\x05\x06"
EOCD_SIZE = 22  # bytes, without the comment
MAX_COMMENT = 0xFFFF  # bytes
CD_MAGIC = b"PK\x01\x02"
CD_RECORD_SIZE = 46  # bytes, without name, extra field and comment
LFH_MAGIC = b"PK\x03\x04"
LFH_SIZE = 30  # bytes, without name and extra field
ZIP64_LOCATOR_MAGIC = b"PK\x06\x07"
ZIP64_LOCATOR_SIZE = 20
ZIP64_EOCD_MAGIC = b"PK\x06\x06"
ZIP64_EOCD_SIZE = 56
CHUNK = 1024 * 1024  # bytes per streamed read (also the v2/v3 content digest chunk size)


class ZipFormatError(GateError):
    """A structural problem in the archive. ``str()`` is the short English text the verifier reports;
    ``message`` and ``message_zh`` are the sentences a person reads in a PKG-UNREADABLE finding."""

    def __init__(self, short: str, message: str | None = None, message_zh: str | None = None,
                 entry: str | None = None) -> None:
        super().__init__(short)
        self.message = message or short
        self.message_zh = message_zh or short
        self.entry = entry


@dataclass(frozen=True)
class ZipSections:
    """What the end-of-central-directory record declares, read without parsing any entry."""

    entries: int
    cd_size: int  # bytes
    cd_offset: int  # bytes from the start of the file
    eocd_offset: int  # bytes from the start of the file
    eocd: bytes  # the record through the end of the file (comment included)
    trailing: int  # bytes after the comment (negative when the comment runs past the end of the file)
    zip64: bool


def find_sections(handle: BinaryIO, size: int) -> ZipSections | None:
    """Locate the EOCD (the last signature, as libziparchive); ``None`` when the file has none."""
    tail_len = min(size, EOCD_SIZE + MAX_COMMENT)
    handle.seek(size - tail_len)
    tail = handle.read(tail_len)
    pos = tail.rfind(EOCD_MAGIC, 0, max(0, len(tail) - EOCD_SIZE + len(EOCD_MAGIC)))
    if pos < 0:
        return None
    entries, cd_size, cd_offset, comment_len = struct.unpack_from("<HIIH", tail, pos + 10)
    eocd_offset = size - tail_len + pos
    trailing = len(tail) - (pos + EOCD_SIZE + comment_len)
    zip64 = False
    if eocd_offset >= ZIP64_LOCATOR_SIZE:
        handle.seek(eocd_offset - ZIP64_LOCATOR_SIZE)
        locator = handle.read(ZIP64_LOCATOR_SIZE)
        if locator[:4] == ZIP64_LOCATOR_MAGIC:
            zip64 = True
            (record_offset,) = struct.unpack_from("<Q", locator, 8)
            if 0 <= record_offset <= size - ZIP64_EOCD_SIZE:
                handle.seek(record_offset)
                record = handle.read(ZIP64_EOCD_SIZE)
                if record[:4] == ZIP64_EOCD_MAGIC:  # the sizes it declares, for the limits
                    entries, cd_size, cd_offset = struct.unpack_from("<QQQ", record, 32)
    return ZipSections(entries, cd_size, cd_offset, eocd_offset, tail[pos:], trailing, zip64)


def check_sections(sections: ZipSections) -> None:
    """Refuse what Android refuses about the archive as a whole (ZIP64, trailing bytes, a misplaced directory)."""
    if sections.zip64:
        raise ZipFormatError(
            "ZIP64 archives are not supported",
            "The upload is a ZIP64 archive; Android refuses ZIP64 APKs (\"ZIP64 APK not supported\") and no "
            "APK within the gate's limits needs the format.",
            "上传的文件是 ZIP64 压缩包；Android 拒绝 ZIP64 格式的 APK（“ZIP64 APK not supported”），"
            "在本网关限制之内的 APK 也不需要这种格式。")
    if sections.trailing:
        raise ZipFormatError(
            "malformed zip: the End of Central Directory comment does not end at the end of the file",
            "The ZIP end-of-central-directory record's comment does not end where the file ends "
            f"({sections.trailing:+,} bytes); Android refuses such archives, and readers would disagree on them.",
            f"ZIP 中央目录结束记录的注释没有在文件末尾结束（相差 {sections.trailing:+,} 字节）；"
            "Android 拒绝此类压缩包，不同工具对它的解读也会不一致。")
    end = sections.cd_offset + sections.cd_size
    if end > sections.eocd_offset:
        raise ZipFormatError(
            "malformed zip: central directory overlaps the End of Central Directory record",
            "The ZIP central directory overlaps the end-of-central-directory record; the archive is malformed.",
            "ZIP 中央目录与中央目录结束记录重叠；压缩包格式错误。")
    if end < sections.eocd_offset:
        raise ZipFormatError(
            "malformed zip: bytes between the central directory and the End of Central Directory record",
            f"The ZIP central directory ends {sections.eocd_offset - end:,} bytes before the end-of-central-"
            "directory record; tools would read the entries at different offsets than Android does.",
            f"ZIP 中央目录在中央目录结束记录之前 {sections.eocd_offset - end:,} 字节处就结束了；"
            "各工具读取条目的偏移会与 Android 不同。")


@dataclass(frozen=True)
class EntrySpan:
    """Where one entry sits, as the central directory declares it."""

    name: str
    local_offset: int  # bytes from the start of the file to its local header
    name_bytes: int  # length of the encoded name
    compressed_size: int  # bytes


def check_entries(spans: Iterable[EntrySpan], cd_offset: int) -> None:
    """Refuse duplicate names, names that escape the archive, and entries that overlap (or overlap the directory)."""
    spans = list(spans)
    seen: set[str] = set()
    for span in spans:
        name = span.name
        if name in seen:
            raise ZipFormatError(
                f"malformed zip: duplicate entry {name}",
                f"The archive holds the entry {name} twice; Android refuses such APKs and different tools "
                "would read different files.",
                f"压缩包中 {name} 条目出现两次；Android 会拒绝此类 APK，不同工具也会读到不同的文件。", name)
        seen.add(name)
        if not name or "\x00" in name:
            # zipfile cuts a name at its first NUL, so "" or a shorter name than the directory's: the entry
            # would be read under a name nothing else sees (and an empty one breaks zipfile's own methods)
            raise ZipFormatError(
                f"malformed zip: an entry name that is empty or holds a NUL byte ({name!r})",
                f"The archive holds an entry whose name is empty or holds a NUL byte ({name!r}); build tools "
                "never write such names and different tools would read it under different names.",
                f"压缩包中有条目名称为空或含 NUL 字节（{name!r}）；"
                "构建工具从不生成此类名称，不同工具会以不同名称读取它。",
                name)
        parts = name.replace("\\", "/").split("/")
        if name.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]:
            raise ZipFormatError(
                f"malformed zip: entry name escapes the archive ({name!r})",
                f"The archive holds an entry whose name escapes it ({name!r}); build tools never write such "
                "names, unpacking tools may write outside their folder.",
                f"压缩包中有条目名称越出压缩包（{name!r}）；构建工具从不生成此类名称，解压工具可能因此写到目标目录之外。",
                name)
    overlap = _overlapping(spans, cd_offset)
    if overlap:
        first, second = overlap
        raise ZipFormatError(
            f"malformed zip: entries {first} and {second} overlap",
            f"The archive's entries {first} and {second} share their data (overlapping entries, the trick "
            "behind zip bombs that need no nesting).",
            f"压缩包的条目 {first} 与 {second} 共用数据（条目重叠，即无需嵌套的 ZIP 炸弹手法）。", second)


def _overlapping(spans: list[EntrySpan], cd_offset: int) -> tuple[str, str] | None:
    """Two entries whose local data overlap (each entry's header and data must end before the next begins)."""
    ordered = sorted(spans, key=lambda s: s.local_offset)
    for here, after in zip(ordered, ordered[1:], strict=False):
        # the local header is 30 bytes plus the name; its extra field may differ from the central directory's,
        # so only the part that cannot vary is counted
        if here.local_offset + LFH_SIZE + here.name_bytes + here.compressed_size > after.local_offset:
            return here.name, after.name
    if ordered:
        last = ordered[-1]
        if last.local_offset + LFH_SIZE + last.compressed_size > cd_offset > 0:
            return last.name, "(central directory)"
    return None


# ------------------------------------------------------------------------------ bounded reads of entries


class Source:
    """Random access to the archive file; every read is checked against the file size."""

    def __init__(self, handle: BinaryIO, size: int, inflated: Mapping[str, bytes] | None = None) -> None:
        self.handle = handle
        self.size = size
        self.inflated = inflated or {}  # entries the caller already inflated with a CRC check, by name

    def read(self, offset: int, length: int, what: str) -> bytes:
        """Exactly ``length`` bytes at ``offset``, or ZipFormatError if outside the file."""
        if offset < 0 or length < 0 or offset + length > self.size:
            raise ZipFormatError(f"{what} lies outside the file (offset {offset}, length {length})")
        self.handle.seek(offset)
        data = self.handle.read(length)
        if len(data) != length:
            raise ZipFormatError(f"{what}: file shorter than expected")
        return data

    def chunks(self, offset: int, length: int, what: str) -> Iterator[bytes]:
        """The range [offset, offset + length) in pieces of at most 1 MiB."""
        if offset < 0 or length < 0 or offset + length > self.size:
            raise ZipFormatError(f"{what} lies outside the file (offset {offset}, length {length})")
        end = offset + length
        while offset < end:
            piece = min(CHUNK, end - offset)
            yield self.read(offset, piece, what)
            offset += piece

    def sections(self) -> ZipSections:
        """The archive's sections, refused as :func:`check_sections` refuses them."""
        if self.size < EOCD_SIZE:
            raise ZipFormatError("not a zip file: too short")
        found = find_sections(self.handle, self.size)
        if found is None:
            raise ZipFormatError("not a zip file: no End of Central Directory record")
        check_sections(found)
        return found


@dataclass(frozen=True)
class ZipEntry:
    name: str
    raw_name: bytes
    method: int
    compressed_size: int
    uncompressed_size: int
    local_offset: int


def central_directory(src: Source, zs: ZipSections) -> list[ZipEntry]:
    """All central directory records (the count is bounded by the directory's size), checked as the intake checks."""
    data = src.read(zs.cd_offset, zs.cd_size, "central directory")
    entries = []
    pos, end = 0, len(data)
    for index in range(zs.entries):
        if pos + CD_RECORD_SIZE > end:
            raise ZipFormatError(f"central directory: truncated (needs {CD_RECORD_SIZE} bytes, {end - pos} left)")
        if data[pos: pos + 4] != CD_MAGIC:
            raise ZipFormatError(f"malformed zip: central directory record #{index + 1} has a bad signature")
        method = struct.unpack_from("<H", data, pos + 10)[0]
        compressed, uncompressed, name_len, extra_len, comment_len = struct.unpack_from("<IIHHH", data, pos + 20)
        local_offset = struct.unpack_from("<I", data, pos + 42)[0]
        name_start = pos + CD_RECORD_SIZE
        pos = name_start + name_len + extra_len + comment_len
        if pos > end:
            raise ZipFormatError(f"central directory: truncated (needs {pos - end} more bytes)")
        raw_name = data[name_start: name_start + name_len]
        name = raw_name.decode("utf-8", errors="replace")
        entries.append(ZipEntry(name, raw_name, method, compressed, uncompressed, local_offset))
    check_entries((EntrySpan(e.name, e.local_offset, len(e.raw_name), e.compressed_size) for e in entries),
                  zs.cd_offset)
    return entries


def entry_data_range(src: Source, entry: ZipEntry, cd_offset: int) -> tuple[int, int]:
    """(offset, length) of an entry's stored bytes, checked against its local header."""
    header = src.read(entry.local_offset, LFH_SIZE, f"local header of {entry.name}")
    if header[:4] != LFH_MAGIC:
        raise ZipFormatError(f"malformed zip: bad local header for {entry.name}")
    name_len, extra_len = struct.unpack_from("<HH", header, 26)
    if src.read(entry.local_offset + LFH_SIZE, name_len, f"local header of {entry.name}") != entry.raw_name:
        raise ZipFormatError(f"malformed zip: local header name differs from central directory for {entry.name}")
    start = entry.local_offset + LFH_SIZE + name_len + extra_len
    length = entry.compressed_size if entry.method != 0 else entry.uncompressed_size
    if start + length > cd_offset:
        raise ZipFormatError(f"malformed zip: data of {entry.name} overlaps the central directory")
    return start, length


def entry_chunks(src: Source, entry: ZipEntry, cd_offset: int) -> Iterator[bytes]:
    """The uncompressed content of an entry, streamed; sizes are checked as declared."""
    start, length = entry_data_range(src, entry, cd_offset)
    raw = src.chunks(start, length, f"data of {entry.name}")
    if entry.method == 0:
        yield from raw
    elif entry.method == 8:
        yield from inflate(raw, entry.uncompressed_size, entry.name)
    else:
        raise ZipFormatError(f"{entry.name}: unsupported compression method {entry.method}")


def inflate(raw: Iterable[bytes], expected_size: int, name: str) -> Iterator[bytes]:
    """Raw-deflate decompression that never yields more than ``expected_size`` bytes."""
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    produced = 0
    try:
        for data in raw:
            while True:
                out = inflater.decompress(data, CHUNK)
                data = inflater.unconsumed_tail
                produced += len(out)
                if produced > expected_size:
                    raise ZipFormatError(f"{name}: inflates to more than its declared {expected_size} bytes")
                if out:
                    yield out
                if inflater.eof or (not data and len(out) < CHUNK):
                    break
            if inflater.eof:
                break
    except zlib.error as exc:
        raise ZipFormatError(f"{name}: corrupt compressed data ({exc})") from None
    if not inflater.eof or produced != expected_size:
        raise ZipFormatError(f"{name}: compressed data is truncated or does not match its declared size")
