"""A lean reader of Android binary XML (AndroidManifest.xml, res/xml/*) and of the resource table's file
references, without androguard: importing androguard's binary-XML module costs a one-shot `gate scan`
more than its whole analysis of a typical app (loguru, and a 190 KB public.xml parsed at import).

It reads what Android reads:
- attribute names of the platform's attributes come from their resource ids (the resource map), not from
  the string pool, which packers blank or rename to fool tools;
- values are formatted as androguard formats them (``true``, ``0x00000010``, ``@7F0E0001``, ...), so
  checks see the same strings whichever parser produced them (tests compare both over the corpus).

``parse`` returns a ``xml.etree.ElementTree.Element``; ``ResourceTable.file_paths`` resolves an id like
``0x7F140002`` to the files it names (``res/xml/network_security_config.xml``). Both raise ``AxmlError``
for input they cannot read; nothing else escapes.
"""

from __future__ import annotations

import json
import struct
import xml.etree.ElementTree as ET
from functools import cache
from importlib import resources

from gate.errors import GateError

ANDROID_NS = "http://schemas.android.com/apk/res/android"

_XML = 0x0003
_STRING_POOL = 0x0001
_TABLE = 0x0002
_XML_START_NAMESPACE = 0x0100
_XML_END_NAMESPACE = 0x0101
_XML_START_ELEMENT = 0x0102
_XML_END_ELEMENT = 0x0103
_XML_CDATA = 0x0104
_XML_LAST = 0x017F
_XML_RESOURCE_MAP = 0x0180
_TABLE_PACKAGE = 0x0200
_TABLE_TYPE = 0x0201

_UTF8_FLAG = 0x100
_NO_INDEX = 0xFFFFFFFF

# Res_value data types
_TYPE_REFERENCE, _TYPE_ATTRIBUTE, _TYPE_STRING, _TYPE_FLOAT = 0x01, 0x02, 0x03, 0x04
_TYPE_DIMENSION, _TYPE_FRACTION, _TYPE_INT_DEC, _TYPE_INT_HEX, _TYPE_INT_BOOLEAN = 0x05, 0x06, 0x10, 0x11, 0x12
_DIMENSION_UNITS = ("px", "dip", "sp", "pt", "in", "mm")
_FRACTION_UNITS = ("%", "%p")
_RADIX_MULTS = (0.00390625, 3.051758e-005, 1.192093e-007, 4.656613e-010)


class AxmlError(GateError, ValueError):
    """The bytes are not readable Android binary XML (or resource table)."""


@cache
def _platform_attrs() -> tuple[int, tuple[str, ...]]:
    data = json.loads(resources.files("gate").joinpath("data/android_attrs.json").read_text(encoding="utf-8"))
    return int(data["base"], 16), tuple(data["names"])


def platform_attr_name(res_id: int) -> str | None:
    """``0x01010003`` -> ``name``: the android: attribute a resource id stands for, or None."""
    base, names = _platform_attrs()
    index = res_id - base
    if 0 <= index < len(names) and names[index]:
        return names[index]
    return None


class StringPool:
    """A ResStringPool chunk; strings decoded on first use. A bad index or entry reads as ``""``."""

    def __init__(self, data: bytes, start: int) -> None:
        header_size, size = struct.unpack_from("<HI", data, start + 2)
        if header_size < 0x1C or start + size > len(data):
            raise AxmlError("the string pool's header is damaged")
        count, styles, flags, strings_start, styles_start = struct.unpack_from("<5I", data, start + 8)
        # Older tools wrote a count that disagrees with the offsets; the offsets table is what is there.
        if strings_start and (strings_start - (styles * 4 + 28)) // 4 != count:
            count = max(0, (strings_start - (styles * 4 + 28)) // 4)
        end = start + size
        table = start + header_size
        count = min(count, max(0, (end - table) // 4))
        self._offsets = struct.unpack_from(f"<{count}I", data, table) if count else ()
        chars_end = start + styles_start if styles and styles_start else end
        self._chars = data[start + strings_start:min(chars_end, end)]
        self._utf8 = bool(flags & _UTF8_FLAG)
        self._cache: dict[int, str] = {}

    def __len__(self) -> int:
        return len(self._offsets)

    def get(self, index: int) -> str:
        found = self._cache.get(index)
        if found is None:
            found = self._decode(index) if 0 <= index < len(self._offsets) else ""
            self._cache[index] = found
        return found

    def _decode(self, index: int) -> str:
        chars, at = self._chars, self._offsets[index]
        try:
            if self._utf8:
                _, at = _length8(chars, at)  # length in UTF-16 units, unused
                n, at = _length8(chars, at)
                if at + n >= len(chars) or chars[at + n] != 0:
                    return ""
                return chars[at:at + n].decode("utf-8", "replace")
            n, at = _length16(chars, at)
            if at + 2 * n + 2 > len(chars) or chars[at + 2 * n:at + 2 * n + 2] != b"\0\0":
                return ""
            return chars[at:at + 2 * n].decode("utf-16-le", "replace")
        except (IndexError, struct.error):
            return ""


def _length8(chars: bytes, at: int) -> tuple[int, int]:
    first = chars[at]
    if first & 0x80:
        return ((first & 0x7F) << 8) | chars[at + 1], at + 2
    return first, at + 1


def _length16(chars: bytes, at: int) -> tuple[int, int]:
    (first,) = struct.unpack_from("<H", chars, at)
    if first & 0x8000:
        (second,) = struct.unpack_from("<H", chars, at + 2)
        return ((first & 0x7FFF) << 16) | second, at + 4
    return first, at + 2


def _complex(data: int) -> float:
    mantissa = data & 0xFFFFFF00
    if mantissa & 0x80000000:
        mantissa -= 1 << 32
    return float(mantissa * _RADIX_MULTS[(data >> 4) & 3])


def format_value(kind: int, data: int, string: str) -> str:
    """A typed attribute value as text, as androguard prints it."""
    if kind == _TYPE_STRING:
        return string
    if kind in (_TYPE_REFERENCE, _TYPE_ATTRIBUTE):
        return f"{'@' if kind == _TYPE_REFERENCE else '?'}{'android:' if data >> 24 == 1 else ''}{data:08X}"
    if kind == _TYPE_FLOAT:
        return f"{struct.unpack('<f', struct.pack('<I', data))[0]:f}"
    if kind == _TYPE_INT_HEX:
        return f"0x{data:08X}"
    if kind == _TYPE_INT_BOOLEAN:
        return "false" if data == 0 else "true"
    if kind == _TYPE_DIMENSION:
        unit = _DIMENSION_UNITS[data & 0xF] if data & 0xF < len(_DIMENSION_UNITS) else ""
        return f"{_complex(data):f}{unit}"
    if kind == _TYPE_FRACTION:
        unit = _FRACTION_UNITS[data & 0xF] if data & 0xF < len(_FRACTION_UNITS) else ""
        return f"{_complex(data) * 100:f}{unit}"
    if 0x1C <= kind <= 0x1F:
        return f"#{data:08X}"
    if _TYPE_INT_DEC <= kind <= 0x1F:
        return str(data - (1 << 32) if data > 0x7FFFFFFF else data)
    return f"<0x{data:X}, type 0x{kind:02X}>"


def _clean(value: str) -> str:
    """Cut at a NUL as aapt does, and replace characters XML cannot hold, as androguard does."""
    cut = value.find("\0")
    if cut >= 0:
        value = value[:cut]
    if value.isprintable():
        return value
    return "".join(c if c.isprintable() or c in "\t\n\r" or ord(c) >= 0xA0 else "_" for c in value)


def parse(raw: bytes) -> ET.Element:
    """The element tree of a binary XML document. AxmlError when it has no readable root element."""
    if len(raw) < 8:
        raise AxmlError("too short to be binary XML")
    _kind, header_size, size = struct.unpack_from("<HHI", raw, 0)
    if header_size != 8 or size > len(raw) or size < 8:
        raise AxmlError("the file header is not a binary XML header")
    data = raw[:size]
    if len(data) < 16 or struct.unpack_from("<H", data, 8)[0] != _STRING_POOL:
        raise AxmlError("the string pool is missing")
    pool_header, pool_size = struct.unpack_from("<HI", data, 10)
    if pool_header != 0x1C or pool_size < pool_header:
        raise AxmlError("the string pool's header is damaged")
    pool = StringPool(data, 8)
    ids: list[int] = []
    namespaces: list[tuple[int, int]] = []
    stack: list[ET.Element] = []
    root: ET.Element | None = None
    offset = 8 + pool_size
    end = len(data)
    while offset < end:
        if offset + 8 > end:
            raise AxmlError(f"a chunk header at offset {offset} runs past the end")
        kind, header_size, size = struct.unpack_from("<HHI", data, offset)
        if size < 8 and end == offset + header_size + 8:
            size = 24  # a zero-sized last end-namespace chunk, written by some packers
        if header_size < 8 or size < header_size:
            raise AxmlError(f"a chunk at offset {offset} declares impossible sizes")
        chunk_end = offset + size
        if kind == _XML_RESOURCE_MAP:
            if size % 4:
                raise AxmlError("the resource map's size is not a multiple of 4")
            n = (min(chunk_end, end) - offset - header_size) // 4
            ids.extend(struct.unpack_from(f"<{n}I", data, offset + header_size))
        elif _XML_START_NAMESPACE <= kind <= _XML_LAST and header_size == 0x10 and offset + 16 <= end:
            ext = offset + 16
            if kind in (_XML_START_NAMESPACE, _XML_END_NAMESPACE) and ext + 8 <= end:
                pair = struct.unpack_from("<2I", data, ext)
                if kind == _XML_START_NAMESPACE:
                    namespaces.append(pair)
                elif pair in namespaces:
                    namespaces.remove(pair)
            elif kind == _XML_START_ELEMENT and ext + 20 <= end:
                element = _element(data, ext, pool, ids, end)
                if element is not None:
                    if root is None:
                        root = element
                    elif stack:
                        stack[-1].append(element)
                    else:
                        break  # a second root: androguard stops here too
                    stack.append(element)
            elif kind == _XML_END_ELEMENT and ext + 8 <= end:
                if stack and pool.get(struct.unpack_from("<I", data, ext + 4)[0]):
                    stack.pop()
            elif kind == _XML_CDATA and ext + 4 <= end and stack:
                stack[-1].text = pool.get(struct.unpack_from("<I", data, ext)[0])
        offset = max(chunk_end, offset + 8)
    if root is None:
        raise AxmlError("no root element")
    return root


def _element(data: bytes, ext: int, pool: StringPool, ids: list[int], end: int) -> ET.Element | None:
    ns, name_index, attr_start, attr_size, attr_count = struct.unpack_from("<2I3H", data, ext)
    name = pool.get(name_index)
    if not name:
        return None  # androguard skips nameless elements (and their end tags)
    uri = pool.get(ns) if ns != _NO_INDEX else ""
    element = ET.Element(f"{{{uri}}}{name}" if uri else name)
    stride = max(attr_size, 20)
    at = ext + attr_start
    for _ in range(attr_count):
        if at + 20 > end:
            break
        a_ns, a_name, raw_value, _size, _res0, kind, value = struct.unpack_from("<3IHBBI", data, at)
        at += stride
        attr = pool.get(a_name)
        if a_name < len(ids):
            platform = platform_attr_name(ids[a_name])
            if platform:
                attr = platform
        if not attr:
            continue
        a_uri = pool.get(a_ns) if a_ns != _NO_INDEX else ""
        if not a_uri and attr.startswith("android:"):
            a_uri, attr = ANDROID_NS, attr[len("android:"):]
        text = format_value(kind, value, pool.get(raw_value) if kind == _TYPE_STRING else "")
        element.set(f"{{{a_uri}}}{attr}" if a_uri else attr, _clean(text))
    return element


class ResourceTable:
    """The parts of resources.arsc the gate needs: which files a resource id names, in any configuration."""

    def __init__(self, raw: bytes) -> None:
        if len(raw) < 12:
            raise AxmlError("too short to be a resource table")
        kind, header_size, size = struct.unpack_from("<HHI", raw, 0)
        if kind != _TABLE or header_size < 12 or size > len(raw):
            raise AxmlError("not a resource table")
        self._data = raw[:size]
        self._strings: StringPool | None = None
        self._packages: dict[int, list[tuple[int, int]]] = {}  # package id -> type chunks (type id, offset)
        offset = header_size
        while offset + 8 <= size:
            kind, header_size, chunk = struct.unpack_from("<HHI", raw, offset)
            if chunk < 8 or header_size < 8:
                raise AxmlError("a chunk of the resource table declares impossible sizes")
            if kind == _STRING_POOL and self._strings is None:
                self._strings = StringPool(self._data, offset)
            elif kind == _TABLE_PACKAGE and offset + 12 <= size:
                self._read_package(offset, header_size, min(offset + chunk, size))
            offset += chunk

    def _read_package(self, start: int, header_size: int, end: int) -> None:
        (package_id,) = struct.unpack_from("<I", self._data, start + 8)
        types = self._packages.setdefault(package_id, [])
        offset = start + header_size
        while offset + 8 <= end:
            kind, _header, chunk = struct.unpack_from("<HHI", self._data, offset)
            if chunk < 8:
                break
            if kind == _TABLE_TYPE and offset + 20 <= end:
                types.append((self._data[offset + 8], offset))
            offset += chunk

    def file_paths(self, res_id: int, _hops: int = 0) -> list[str]:
        """The string values of a resource id in every configuration (for a file: its path in the APK),
        following references to other resources (aliases) a few hops deep."""
        if self._strings is None or _hops > 8:
            return []
        package, type_id, entry = res_id >> 24, (res_id >> 16) & 0xFF, res_id & 0xFFFF
        out: list[str] = []
        for tid, offset in self._packages.get(package, []):
            if tid != type_id:
                continue
            found = self._entry_value(offset, entry)
            if found is None:
                continue
            kind, value = found
            texts = [self._strings.get(value)] if kind == _TYPE_STRING else []
            if kind == _TYPE_REFERENCE and value and value != res_id:
                texts = self.file_paths(value, _hops + 1)
            out.extend(text for text in texts if text and text not in out)
        return out

    def _entry_value(self, offset: int, entry: int) -> tuple[int, int] | None:
        data = self._data
        _kind, header_size, size = struct.unpack_from("<HHI", data, offset)
        flags = data[offset + 9]
        count, entries_start = struct.unpack_from("<2I", data, offset + 12)
        end = min(offset + size, len(data))
        table = offset + header_size
        if flags & 0x01:  # sparse: sorted (entry index, offset / 4) pairs
            pairs = [struct.unpack_from("<2H", data, table + 4 * i) for i in range(count) if table + 4 * i + 4 <= end]
            where = next((off * 4 for idx, off in pairs if idx == entry), None)
        elif entry >= count:
            return None
        elif flags & 0x02:  # 16-bit offsets / 4
            if table + 2 * entry + 2 > end:
                return None
            (raw,) = struct.unpack_from("<H", data, table + 2 * entry)
            where = None if raw == 0xFFFF else raw * 4
        else:
            if table + 4 * entry + 4 > end:
                return None
            (raw,) = struct.unpack_from("<I", data, table + 4 * entry)
            where = None if raw == _NO_INDEX else raw
        if where is None:
            return None
        at = offset + entries_start + where
        if at + 8 > end:
            return None
        entry_size, entry_flags = struct.unpack_from("<2H", data, at)
        if entry_flags & 0x08:  # compact entry: the type in the high byte of the flags, the data inline
            return entry_flags >> 8, struct.unpack_from("<I", data, at + 4)[0]
        if entry_flags & 0x01 or at + entry_size + 8 > end:  # a complex (bag) entry holds no file
            return None
        _vsize, _res0, kind, value = struct.unpack_from("<HBBI", data, at + entry_size)
        return kind, value
