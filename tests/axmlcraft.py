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


ANDROID_NS = "http://schemas.android.com/apk/res/android"


def document(root: tuple, names_by_id: dict[str, int] | None = None) -> bytes:  # type: ignore[type-arg]
    """Binary XML for ``root`` = ``(tag, attrs, children)``; ``attrs`` are ``(name, kind, value)`` with kind
    "string", "bool" or "int", names ``android:x`` in the android namespace. ``names_by_id`` maps an
    attribute name *as written in the string pool* to the resource id put in the resource map."""
    names_by_id = names_by_id or {}
    attr_names: list[str] = []

    def collect(node: tuple) -> None:  # type: ignore[type-arg]
        for name, _kind, _value in node[1]:
            local = name.split(":", 1)[-1]
            if local in names_by_id and local not in attr_names:
                attr_names.append(local)
        for child in node[2]:
            collect(child)

    collect(root)
    strings = list(attr_names) + ["android", ANDROID_NS]  # resource-mapped names come first, as aapt does

    def index(text: str) -> int:
        if text not in strings:
            strings.append(text)
        return strings.index(text)

    body = b""

    def emit(node: tuple) -> None:  # type: ignore[type-arg]
        nonlocal body
        tag, attrs, children = node
        packed = b""
        for name, kind, value in attrs:
            ns = index(ANDROID_NS) if name.startswith("android:") else NO_INDEX
            local = name.split(":", 1)[-1]
            if kind == "string":
                packed += struct.pack("<IIIHBBI", ns, index(local), index(value), 8, 0, 0x03, index(value))
            else:
                data = (0xFFFFFFFF if value else 0) if kind == "bool" else int(value)
                packed += struct.pack("<IIIHBBI", ns, index(local), NO_INDEX, 8, 0, 0x12 if kind == "bool" else 0x10,
                                      data)
        body += struct.pack("<HHIII", 0x0102, 16, 36 + len(packed), 1, NO_INDEX)
        body += struct.pack("<IIHHHHHH", NO_INDEX, index(tag), 20, 20, len(attrs), 0, 0, 0) + packed
        for child in children:
            emit(child)
        body += struct.pack("<HHIIIII", 0x0103, 16, 24, 1, NO_INDEX, NO_INDEX, index(tag))

    emit(root)
    ns_start = struct.pack("<HHIIIII", 0x0100, 16, 24, 1, NO_INDEX, index("android"), index(ANDROID_NS))
    ns_end = struct.pack("<HHIIIII", 0x0101, 16, 24, 1, NO_INDEX, index("android"), index(ANDROID_NS))
    ids = [names_by_id[n] for n in attr_names]
    res_map = struct.pack("<HHI", 0x0180, 8, 8 + 4 * len(ids)) + b"".join(struct.pack("<I", i) for i in ids)
    pool = _string_pool(strings)
    content = pool + res_map + ns_start + body + ns_end
    return struct.pack("<HHI", 0x0003, 8, 8 + len(content)) + content
