"""A minimal Android binary XML (AXML) writer, to craft manifests no build tool would produce (e.g. nested
thousands of levels deep). Strings are UTF-8; attributes are plain strings in no namespace."""

from __future__ import annotations

import struct

NO_INDEX = 0xFFFFFFFF


def _string_pool(strings: list[str]) -> bytes:
    data = b""
    offsets = []
    for s in strings:
        raw = s.encode("utf-8")
        assert len(s) < 128 and len(raw) < 128
        offsets.append(len(data))
        data += bytes([len(s), len(raw)]) + raw + b"\0"
    data += b"\0" * (-len(data) % 4)
    header_size = 28
    strings_start = header_size + 4 * len(strings)
    size = strings_start + len(data)
    head = struct.pack("<HHIIIIII", 0x0001, header_size, size, len(strings), 0, 1 << 8, strings_start, 0)
    return head + b"".join(struct.pack("<I", o) for o in offsets) + data


def nested_manifest(package: str, depth: int, tag: str = "meta") -> bytes:
    """``<manifest package=...>`` holding ``depth`` levels of ``<tag>`` inside one another."""
    strings = ["manifest", "package", package, tag]
    idx = {s: i for i, s in enumerate(strings)}
    body = []

    def start(name: str, attrs: list[tuple[str, str]]) -> bytes:
        size = 36 + 20 * len(attrs)
        out = struct.pack("<HHIII", 0x0102, 16, size, 1, NO_INDEX)
        out += struct.pack("<IIHHHHHH", NO_INDEX, idx[name], 20, 20, len(attrs), 0, 0, 0)
        for key, value in attrs:
            out += struct.pack("<IIIHBBI", NO_INDEX, idx[key], idx[value], 8, 0, 0x03, idx[value])
        return out

    def end(name: str) -> bytes:
        return struct.pack("<HHIIIII", 0x0103, 16, 24, 1, NO_INDEX, NO_INDEX, idx[name])

    body.append(start("manifest", [("package", package)]))
    body.extend(start(tag, []) for _ in range(depth))
    body.extend(end(tag) for _ in range(depth))
    body.append(end("manifest"))
    chunks = _string_pool(strings) + b"".join(body)
    return struct.pack("<HHI", 0x0003, 8, 8 + len(chunks)) + chunks
