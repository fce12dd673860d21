"""Build hostile archives for intake tests: bombs, floods, lies in the ZIP directory."""

from __future__ import annotations

import io
import struct
import warnings
import zipfile
from pathlib import Path


def zip_bytes(entries: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A ZIP archive, in memory, of ``entries`` (name → contents) in their order."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return buf.getvalue()


def copy_with(source: Path, target: Path, extra: dict[str, bytes], *, stored: bool = False,
              replace: dict[str, bytes] | None = None) -> Path:
    """Copy an APK's entries into a new archive, replacing and adding some."""
    replace = replace or {}
    method = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = replace.get(info.filename, src.read(info))
            dst.writestr(info.filename, data, compress_type=info.compress_type)
        for name, data in extra.items():
            dst.writestr(name, data, compress_type=method)
    return target


def with_duplicate(source: Path, target: Path, name: str, data: bytes) -> Path:
    copy_with(source, target, {})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name we want
        with zipfile.ZipFile(target, "a") as dst:
            dst.writestr(name, data)
    return target


def set_eocd_entry_count(path: Path, count: int) -> None:
    """Make the end-of-central-directory record claim ``count`` entries (16-bit field)."""
    data = bytearray(path.read_bytes())
    pos = data.rfind(b"PK\x05\x06")
    struct.pack_into("<HH", data, pos + 8, count, count)
    path.write_bytes(bytes(data))


def shrink_declared_size(path: Path, name: str, declared: int) -> None:
    """Make the local header and central directory understate an entry's uncompressed size."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(name)
    struct.pack_into("<I", data, info.header_offset + 22, declared)
    struct.pack_into("<I", data, _central_record(data, name) + 24, declared)
    path.write_bytes(bytes(data))


def _central_record(data: bytearray, name: str) -> int:
    """Offset of ``name``'s central directory record."""
    encoded = name.encode()
    cd = 0
    while True:
        cd = data.find(b"PK\x01\x02", cd)
        if cd < 0:
            raise ValueError(f"{name} not in central directory")
        name_len = struct.unpack_from("<H", data, cd + 28)[0]
        if bytes(data[cd + 46: cd + 46 + name_len]) == encoded:
            return cd
        cd += 4


def with_entry_named(source: Path, target: Path, name: str) -> Path:
    """Add an entry with an arbitrary (hostile) name; zipfile would otherwise sanitise nothing on write."""
    copy_with(source, target, {})
    with zipfile.ZipFile(target, "a") as dst:
        dst.writestr(zipfile.ZipInfo(name), b"payload")
    return target


def overlap_entries(path: Path, first: str, second: str) -> None:
    """Point ``second``'s central directory record at ``first``'s local header: two entries, one body."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        target = zf.getinfo(first).header_offset
    struct.pack_into("<I", data, _central_record(data, second) + 42, target)
    path.write_bytes(bytes(data))


def _eocd(data: bytes | bytearray) -> int:
    return bytes(data).rfind(b"PK\x05\x06")


def insert_before_eocd(path: Path, payload: bytes) -> None:
    """Put ``payload`` between the central directory and the end record, leaving the record's offsets as they were."""
    data = path.read_bytes()
    pos = _eocd(data)
    path.write_bytes(data[:pos] + payload + data[pos:])


def zip64_records(path: Path) -> bytes:
    """A ZIP64 end record and locator that repeat what the 32-bit end record says (to insert before it)."""
    data = path.read_bytes()
    pos = _eocd(data)
    entries, cd_size, cd_offset = struct.unpack_from("<HII", data, pos + 10)
    record = struct.pack("<4sQHHIIQQQQ", b"PK\x06\x06", 44, 45, 45, 0, 0, entries, entries, cd_size, cd_offset)
    locator = struct.pack("<4sIQI", b"PK\x06\x07", 0, pos, 1)
    return record + locator


def set_central_directory_size(path: Path, size: int) -> None:
    data = bytearray(path.read_bytes())
    struct.pack_into("<I", data, _eocd(data) + 12, size)
    path.write_bytes(bytes(data))


def rename_in_central_directory(path: Path, name: str, new_name: str) -> None:
    """Change an entry's name in the central directory only (same length): the local header keeps the old one."""
    assert len(name.encode()) == len(new_name.encode())
    data = bytearray(path.read_bytes())
    at = _central_record(data, name) + 46
    data[at: at + len(new_name.encode())] = new_name.encode()
    path.write_bytes(bytes(data))
