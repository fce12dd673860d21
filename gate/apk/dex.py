"""A lean reader of dex files: the tables and the bytecode a compliance check needs, nothing more.

It never decodes the whole string table or all bytecode. Lookups go through the dex format's sorted
tables (strings, types, fields and methods are sorted) by binary search; call sites are found by a single
regular-expression pass over the bytes (in C), and only the methods holding a candidate are decoded, to
confirm that the candidate is a real instruction. Every offset is checked against the file's size, so a
hostile dex raises ``DexError``, never anything else.
"""

from __future__ import annotations

import os
import struct
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property

# The gate uses numpy for vectorised scans, never for linear algebra: without this, importing numpy starts
# an OpenBLAS thread pool in every gate process (a thread per core, ~40 MB of address space that counts
# against the job's memory cap, and ~15 ms of start-up), which a process that forks had better not have.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np  # noqa: E402

from gate.errors import GateError

NO_INDEX = 0xFFFFFFFF

# Length in 16-bit code units of each opcode (payload pseudo-instructions are handled apart).
INSN_LEN = bytearray(256)
for _op in range(256):
    INSN_LEN[_op] = 1
for _ops, _n in (
    ((0x02, 0x05, 0x08, 0x13, 0x15, 0x16, 0x19, 0x1A, 0x1C, 0x1F, 0x20, 0x22, 0x23, 0x29, 0xFE, 0xFF), 2),
    ((0x03, 0x06, 0x09, 0x14, 0x17, 0x1B, 0x24, 0x25, 0x26, 0x2A, 0x2B, 0x2C, 0xFC, 0xFD), 3),
    ((0x18,), 5),
    ((0xFA, 0xFB), 4),
):
    for _op in _ops:
        INSN_LEN[_op] = _n
for _lo, _hi, _n in ((0x2D, 0x3D, 2), (0x44, 0x6D, 2), (0x6E, 0x72, 3), (0x74, 0x78, 3), (0x90, 0xAF, 2),
                     (0xD0, 0xE2, 2)):
    for _op in range(_lo, _hi + 1):
        INSN_LEN[_op] = _n

INVOKE_OPS = frozenset(range(0x6E, 0x73)) - {0x73} | frozenset(range(0x74, 0x79)) | {0xFA, 0xFB}
FIELD_GET_OPS = frozenset(range(0x52, 0x59)) | frozenset(range(0x60, 0x67))
STATIC_GET_OPS = frozenset(range(0x60, 0x67))
NEW_INSTANCE = 0x22
# The call-graph edges: invokes, static field gets (they run <clinit>), object creation.
_IS_REF = bytearray(256)
for _op in INVOKE_OPS | STATIC_GET_OPS | {NEW_INSTANCE}:
    _IS_REF[_op] = 1
CONST_STRING, CONST_STRING_JUMBO = 0x1A, 0x1B


class DexError(GateError, ValueError):
    """The dex file is malformed where the reader looked."""


@dataclass(frozen=True)
class Insn:
    pc: int  # byte offset in the dex file
    op: int
    index: int  # method, field, string or type index, by opcode


@dataclass(frozen=True)
class CodeRange:
    start: int  # byte offset of the first instruction
    end: int  # byte offset past the last instruction
    method: int  # method_ids index


def uleb128(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data) or shift > 28:
            raise DexError("truncated or oversized LEB128 value")
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7


def payload_end(data: bytes, pc: int, end: int) -> int | None:
    """Where the switch or array-data payload starting at ``pc`` ends, or None when no payload starts there.

    A payload is data after a method's last instruction (a ``nop`` whose second byte is 1, 2 or 3), skipped as a
    whole; one whose header runs past ``end`` ends the method (``end`` is returned)."""
    if pc + 1 >= end or not 1 <= data[pc + 1] <= 3:
        return None
    if pc + 8 > end:
        return end
    kind = data[pc + 1]
    size = data[pc + 2] | (data[pc + 3] << 8)
    if kind == 1:  # packed-switch: size 32-bit targets
        return pc + 2 * (4 + 2 * size)
    if kind == 2:  # sparse-switch: size keys and size targets
        return pc + 2 * (2 + 4 * size)
    count = int.from_bytes(data[pc + 4: pc + 8], "little")  # fill-array-data: count elements of size bytes
    return pc + 2 * (4 + (count * size + 1) // 2)


def _mutf8(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.replace(b"\xc0\x80", b"\x00").decode("utf-8", "surrogateescape")


class DexFile:
    """One classes*.dex, already checked by the intake (magic, header, table bounds)."""

    def __init__(self, name: str, data: bytes) -> None:
        self.name = name
        self.data = data
        if len(data) < 0x70:
            raise DexError(f"{name}: shorter than a dex header")
        (self.n_strings, self.strings_off, self.n_types, self.types_off, self.n_protos, self.protos_off,
         self.n_fields, self.fields_off, self.n_methods, self.methods_off, self.n_classes,
         self.classes_off) = struct.unpack_from("<12I", data, 0x38)
        size = len(data)
        for count, off, item in ((self.n_strings, self.strings_off, 4), (self.n_types, self.types_off, 4),
                                 (self.n_protos, self.protos_off, 12), (self.n_fields, self.fields_off, 8),
                                 (self.n_methods, self.methods_off, 8), (self.n_classes, self.classes_off, 32)):
            if count and (off + count * item > size or off < 0x70):
                raise DexError(f"{name}: a table lies outside the file")
        self._string_cache: dict[int, str] = {}
        self._type_cache: dict[str, int | None] = {}
        self._named: dict[int, dict[str, list[int]]] = {}
        self._denoting: dict[tuple[str, str, str], list[int]] = {}

    # -- tables ---------------------------------------------------------------------------------

    @cached_property
    def _string_offs(self) -> array[int]:
        a = array("I")
        a.frombytes(self.data[self.strings_off: self.strings_off + 4 * self.n_strings])
        return a

    @cached_property
    def _type_strings(self) -> array[int]:
        a = array("I")
        a.frombytes(self.data[self.types_off: self.types_off + 4 * self.n_types])
        return a

    @cached_property
    def _method_h(self) -> memoryview:
        return memoryview(self.data)[self.methods_off: self.methods_off + 8 * self.n_methods].cast("H")

    @cached_property
    def _field_h(self) -> memoryview:
        return memoryview(self.data)[self.fields_off: self.fields_off + 8 * self.n_fields].cast("H")

    def string(self, idx: int) -> str:
        cached = self._string_cache.get(idx)
        if cached is not None:
            return cached
        if not 0 <= idx < self.n_strings:
            raise DexError(f"{self.name}: string index {idx} out of range")
        off = self._string_offs[idx]
        _, start = uleb128(self.data, off)
        end = self.data.find(b"\x00", start)
        if end < 0:
            raise DexError(f"{self.name}: unterminated string")
        text = _mutf8(self.data[start:end])
        self._string_cache[idx] = text
        return text

    def find_string(self, text: str) -> int | None:
        """Binary search of the sorted string table."""
        lo = bisect_left(range(self.n_strings), text, key=self.string)
        return lo if lo < self.n_strings and self.string(lo) == text else None

    def strings_with_prefix(self, prefix: str) -> range:
        lo = bisect_left(range(self.n_strings), prefix, key=self.string)
        hi = bisect_left(range(lo, self.n_strings), prefix + "\uffff", key=self.string)
        return range(lo, lo + hi)

    def type_name(self, type_idx: int) -> str:
        if not 0 <= type_idx < self.n_types:
            raise DexError(f"{self.name}: type index {type_idx} out of range")
        return self.string(self._type_strings[type_idx])

    def find_type(self, descriptor: str) -> int | None:
        if descriptor in self._type_cache:
            return self._type_cache[descriptor]
        sidx = self.find_string(descriptor)
        found = None
        if sidx is not None:
            t = bisect_left(self._type_strings, sidx)
            found = t if t < self.n_types and self._type_strings[t] == sidx else None
        self._type_cache[descriptor] = found
        return found

    def types_with_prefix(self, prefix: str) -> range:
        """Type indices whose descriptor starts with ``prefix`` (contiguous: types are sorted by string)."""
        strings = self.strings_with_prefix(prefix)
        if not strings:
            return range(0)
        lo = bisect_left(self._type_strings, strings.start)
        hi = bisect_left(self._type_strings, strings.stop)
        return range(lo, hi)

    def _check_method(self, midx: int) -> None:
        if not 0 <= midx < self.n_methods:
            raise DexError(f"{self.name}: method index {midx} out of range")

    def method_class(self, midx: int) -> int:
        self._check_method(midx)
        return int(self._method_h[4 * midx])

    def method_name(self, midx: int) -> str:
        self._check_method(midx)
        h = self._method_h
        return self.string(h[4 * midx + 2] | (h[4 * midx + 3] << 16))

    def proto(self, pidx: int) -> str:
        if not 0 <= pidx < self.n_protos:
            raise DexError(f"{self.name}: proto index {pidx} out of range")
        _, ret, params_off = struct.unpack_from("<3I", self.data, self.protos_off + 12 * pidx)
        params = ""
        if params_off:
            if params_off + 4 > len(self.data):
                raise DexError(f"{self.name}: parameter list outside the file")
            (n,) = struct.unpack_from("<I", self.data, params_off)
            if params_off + 4 + 2 * n > len(self.data):
                raise DexError(f"{self.name}: parameter list outside the file")
            params = "".join(self.type_name(t) for t in struct.unpack_from(f"<{n}H", self.data, params_off + 4))
        return f"({params}){self.type_name(ret)}"

    def method_signature(self, midx: int) -> str:
        """``Lpkg/Cls;->name(args)ret``, the notation of sensitive_apis.json and of the evidence."""
        self._check_method(midx)
        proto = self.proto(self._method_h[4 * midx + 1])
        return f"{self.type_name(self.method_class(midx))}->{self.method_name(midx)}{proto}"

    def field_signature(self, fidx: int) -> str:
        if not 0 <= fidx < self.n_fields:
            raise DexError(f"{self.name}: field index {fidx} out of range")
        h = self._field_h
        name = self.string(h[4 * fidx + 2] | (h[4 * fidx + 3] << 16))
        return f"{self.type_name(h[4 * fidx])}->{name}:{self.type_name(h[4 * fidx + 1])}"

    def methods_of_type(self, type_idx: int) -> range:
        """method_ids entries whose class is ``type_idx`` (the table is sorted by class)."""
        h = self._method_h
        lo = bisect_left(range(self.n_methods), type_idx, key=lambda i: h[4 * i])
        hi = bisect_right(range(lo, self.n_methods), type_idx, key=lambda i: h[4 * i])
        return range(lo, lo + hi)

    def methods_named(self, type_idx: int) -> dict[str, list[int]]:
        """The method_ids entries of ``type_idx`` by name (built once per type)."""
        named = self._named.get(type_idx)
        if named is None:
            named = {}
            for midx in self.methods_of_type(type_idx):
                named.setdefault(self.method_name(midx), []).append(midx)
            self._named[type_idx] = named
        return named

    def denoting(self, cls: str, name: str, proto: str) -> list[int]:
        """Method (or, with a ``:type`` proto, field) indices that denote ``cls`` ``name`` ``proto`` on the
        class or on a subclass defined here; resolved once and remembered."""
        key = (cls, name, proto)
        found = self._denoting.get(key)
        if found is None:
            found = self._denoting[key] = self._denoting_uncached(cls, name, proto)
        return found

    def _denoting_uncached(self, cls: str, name: str, proto: str) -> list[int]:
        out: list[int] = []
        base = self.find_type(cls)
        if base is None:
            return out
        for t in (base, *self.subtypes(base)):
            if proto.startswith(":"):
                for fidx in self.fields_of_type(t):
                    if self.field_signature(fidx).split("->", 1)[1] == f"{name}{proto}":
                        out.append(fidx)
            else:
                for midx in self.methods_named(t).get(name, ()):
                    if self.method_signature(midx).endswith(proto):
                        out.append(midx)
        return out

    def fields_of_type(self, type_idx: int) -> range:
        h = self._field_h
        lo = bisect_left(range(self.n_fields), type_idx, key=lambda i: h[4 * i])
        hi = bisect_right(range(lo, self.n_fields), type_idx, key=lambda i: h[4 * i])
        return range(lo, lo + hi)

    def find_method(self, class_desc: str, name: str, proto: str) -> int | None:
        t = self.find_type(class_desc)
        if t is None:
            return None
        for midx in self.methods_of_type(t):
            if self.method_name(midx) == name and self.proto(self._method_h[4 * midx + 1]) == proto:
                return midx
        return None

    # -- classes and code -----------------------------------------------------------------------

    @cached_property
    def class_defs(self) -> list[tuple[int, int, int, int]]:
        """(class type idx, superclass type idx, interfaces_off, class_data_off) of each defined class."""
        out = []
        for row in struct.iter_unpack("<8I", self.data[self.classes_off: self.classes_off + 32 * self.n_classes]):
            out.append((row[0], row[2], row[3], row[6]))
        return out

    @cached_property
    def defined_types(self) -> dict[int, int]:
        """Defined class type idx → position in class_defs."""
        return {c[0]: i for i, c in enumerate(self.class_defs)}

    @cached_property
    def _children(self) -> dict[int, list[int]]:
        """Type idx → defined classes (type idx) that extend or implement it directly, in this dex."""
        out: dict[int, list[int]] = {}
        for t, sup, ifaces, _ in self.class_defs:
            if sup != NO_INDEX:
                out.setdefault(sup, []).append(t)
            if ifaces:
                for i in self.interfaces(ifaces):
                    out.setdefault(i, []).append(t)
        return out

    def subtypes(self, type_idx: int) -> list[int]:
        """Classes defined in this dex below ``type_idx`` (transitively)."""
        seen: dict[int, None] = {}
        todo = list(self._children.get(type_idx, ()))
        while todo and len(seen) < 10_000:
            cur = todo.pop()
            if cur not in seen:
                seen[cur] = None
                todo.extend(self._children.get(cur, ()))
        return list(seen)

    def interfaces(self, interfaces_off: int) -> tuple[int, ...]:
        if not interfaces_off:
            return ()
        if interfaces_off + 4 > len(self.data):
            raise DexError(f"{self.name}: interface list outside the file")
        (n,) = struct.unpack_from("<I", self.data, interfaces_off)
        if interfaces_off + 4 + 2 * n > len(self.data):
            raise DexError(f"{self.name}: interface list outside the file")
        return struct.unpack_from(f"<{n}H", self.data, interfaces_off + 4)

    @cached_property
    def code(self) -> tuple[array[int], array[int], array[int]]:
        """Every method with code, sorted by position: (insns start, insns end, method idx) arrays.

        The class data section is decoded in bulk (vectorised LEB128); a dex whose section does not have
        the layout the format prescribes is walked class by class instead, with the same result.
        """
        try:
            fast = self._code_vectorised()
        except (ValueError, IndexError, OverflowError):
            fast = None  # anything unexpected: the careful parser decides (and names the damage)
        return fast if fast is not None else self._code_by_class()

    def _class_data_section(self) -> tuple[int, int, int] | None:
        """(offset, end, item count) of the class_data_item section, from the map list."""
        (map_off,) = struct.unpack_from("<I", self.data, 0x34)
        if not map_off or map_off + 4 > len(self.data):
            return None
        (n,) = struct.unpack_from("<I", self.data, map_off)
        if n > 64 or map_off + 4 + 12 * n > len(self.data):
            return None
        items = [struct.unpack_from("<HHII", self.data, map_off + 4 + 12 * i) for i in range(n)]
        offsets = sorted({it[3] for it in items} | {len(self.data)})
        for type_code, _, count, off in items:
            if type_code == 0x2000:
                end = next((o for o in offsets if o > off), len(self.data))
                return (off, end, count) if 0x70 <= off < end <= len(self.data) else None
        return None

    def _code_vectorised(self) -> tuple[array[int], array[int], array[int]] | None:
        section = self._class_data_section()
        if section is None or not self.n_classes:
            return None
        off, end, count = section
        raw = np.frombuffer(self.data, dtype=np.uint8, count=end - off, offset=off)
        ends_at = np.flatnonzero(raw < 0x80)
        if not len(ends_at):
            return None
        starts_at = np.empty_like(ends_at)
        starts_at[0] = 0
        starts_at[1:] = ends_at[:-1] + 1
        if int((ends_at - starts_at).max()) > 4:
            return None  # an over-long LEB128: leave it to the careful parser
        used = int(ends_at[-1]) + 1
        leb_id = np.repeat(np.arange(len(ends_at)), (ends_at - starts_at + 1))
        shift = (np.arange(used) - starts_at[leb_id]).astype(np.uint64) * np.uint64(7)
        values = np.add.reduceat((raw[:used] & 0x7F).astype(np.uint64) << shift, starts_at)
        vals = values.tolist()
        lists: list[tuple[int, int]] = []
        item_offsets = set()
        p = 0
        for _ in range(count):
            if p + 4 > len(vals):
                return None
            item_offsets.add(off + int(starts_at[p]))
            sf, inf, dm, vm = vals[p: p + 4]
            p += 4 + 2 * (sf + inf)
            lists.append((p, dm))
            p += 3 * dm
            lists.append((p, vm))
            p += 3 * vm
            if p > len(vals):
                return None
        if item_offsets != {cdo for _, _, _, cdo in self.class_defs if cdo}:
            return None
        counts = np.fromiter((c for _, c in lists), dtype=np.int64, count=len(lists))
        firsts = np.fromiter((q for q, _ in lists), dtype=np.int64, count=len(lists))
        total = int(counts.sum())
        if not total:
            return array("I"), array("I"), array("I")
        begin = np.cumsum(counts) - counts
        within = np.arange(total) - np.repeat(begin, counts)
        triple = np.repeat(firsts, counts) + 3 * within
        diffs = values[triple].astype(np.int64)
        running = np.cumsum(diffs)
        before = np.where(begin > 0, running[np.maximum(begin - 1, 0)], 0)
        method = running - np.repeat(before, counts)
        code_off = values[triple + 2].astype(np.int64)
        keep = code_off != 0
        method, code_off = method[keep], code_off[keep]
        size = len(self.data)
        if len(code_off) and (int(code_off.max()) + 16 > size or (code_off % 4).any()):
            return None
        n_units = np.frombuffer(self.data, dtype="<u4", count=size // 4)[(code_off + 12) // 4].astype(np.int64)
        start = code_off + 16
        stop = start + 2 * n_units
        if len(stop) and int(stop.max()) > size:
            raise DexError(f"{self.name}: bytecode runs past the end of the file")
        if len(method) and (int(method.max()) >= self.n_methods or int(method.min()) < 0):
            raise DexError(f"{self.name}: class data names a method that does not exist")
        order = np.argsort(start, kind="stable")
        return (array("I", start[order].tolist()), array("I", stop[order].tolist()),
                array("I", method[order].tolist()))

    def _code_by_class(self) -> tuple[array[int], array[int], array[int]]:
        data = self.data
        size = len(data)
        rows: list[tuple[int, int, int]] = []
        unpack = struct.unpack_from
        try:
            for _, _, _, cdo in self.class_defs:
                if not cdo:
                    continue
                if cdo >= size:
                    raise DexError(f"{self.name}: class data outside the file")
                sf, pos = uleb128(data, cdo)
                inf, pos = uleb128(data, pos)
                dm, pos = uleb128(data, pos)
                vm, pos = uleb128(data, pos)
                for _ in range(2 * (sf + inf)):  # field index diff and access flags, skipped
                    while data[pos] & 0x80:
                        pos += 1
                    pos += 1
                for count in (dm, vm):
                    midx = 0
                    for _ in range(count):
                        b = data[pos]  # fast path: one-byte index diff (the common case)
                        if b < 0x80:
                            midx += b
                            pos += 1
                        else:
                            diff, pos = uleb128(data, pos)
                            midx += diff
                        while data[pos] & 0x80:  # access flags, skipped
                            pos += 1
                        pos += 1
                        code_off, pos = uleb128(data, pos)
                        if code_off:
                            if code_off + 16 > size:
                                raise DexError(f"{self.name}: code item outside the file")
                            start = code_off + 16
                            end = start + 2 * unpack("<I", data, code_off + 12)[0]
                            if end > size:
                                raise DexError(f"{self.name}: bytecode runs past the end of the file")
                            rows.append((start, end, midx))
        except IndexError:
            raise DexError(f"{self.name}: class data runs past the end of the file") from None
        rows.sort()
        return array("I", (r[0] for r in rows)), array("I", (r[1] for r in rows)), array("I", (r[2] for r in rows))

    @cached_property
    def code_of_method(self) -> dict[int, int]:
        """method idx → position in ``code`` (methods defined here with a body)."""
        return {m: i for i, m in enumerate(self.code[2])}

    def decode(self, start: int, end: int) -> Iterator[Insn]:
        """The instructions of one method that reference methods, fields, strings or types."""
        data = self.data
        pc = start
        while pc < end:
            op = data[pc]
            if op == 0x00 and (after := payload_end(data, pc, end)) is not None:
                pc = after
                continue
            length = INSN_LEN[op]
            if pc + 2 * length > end:
                return
            if op in INVOKE_OPS or op in FIELD_GET_OPS or op == CONST_STRING or op == NEW_INSTANCE or op == 0x1C:
                yield Insn(pc, op, data[pc + 2] | (data[pc + 3] << 8))
            elif op == CONST_STRING_JUMBO:
                yield Insn(pc, op, struct.unpack_from("<I", data, pc + 2)[0])
            pc += 2 * length

    def refs(self, pos: int) -> list[tuple[int, int]]:
        """(opcode, index) of the invoke, static-get and new-instance instructions of one method: the edges
        of the call graph. A tight loop over the exact instruction stream (no objects per instruction)."""
        starts, ends, _ = self.code
        data = self.data
        length = INSN_LEN
        is_ref = _IS_REF
        pc = starts[pos]
        end = ends[pos]
        out: list[tuple[int, int]] = []
        append = out.append
        while pc < end:
            op = data[pc]
            if is_ref[op]:
                if pc + 4 > end:
                    break
                append((op, data[pc + 2] | (data[pc + 3] << 8)))
            elif op == 0 and (after := payload_end(data, pc, end)) is not None:
                pc = after
                continue
            pc += 2 * length[op]
        return out

    @cached_property
    def method_keys(self) -> dict[int, int]:
        """``method_key(class, name, proto)`` → method idx, for resolving calls by integers."""
        h = np.frombuffer(self.data, dtype="<u2", count=4 * self.n_methods, offset=self.methods_off).reshape(-1, 4)
        name = h[:, 2].astype(np.uint64) | (h[:, 3].astype(np.uint64) << np.uint64(16))
        keys = (h[:, 0].astype(np.uint64) << np.uint64(48)) | (name << np.uint64(16)) | h[:, 1].astype(np.uint64)
        return dict(zip(keys.tolist(), range(self.n_methods), strict=True))

    @staticmethod
    def method_key(type_idx: int, name: int, proto: int) -> int:
        return (type_idx << 48) | (name << 16) | proto

    @cached_property
    def lifecycle(self) -> dict[int, dict[str, int]]:
        """Defined class type idx → {member: code position} for the members that run implicitly:
        `<clinit>()V`, and `run()V`, `call()Ljava/lang/Object;`, `handleMessage(Landroid/os/Message;)V`."""
        wanted = {"<clinit>": "()V", "run": "()V", "call": "()Ljava/lang/Object;",
                  "handleMessage": "(Landroid/os/Message;)V"}
        by_index = {i: n for n in wanted if (i := self.find_string(n)) is not None}
        out: dict[int, dict[str, int]] = {}
        if not by_index or not self.n_methods:
            return out
        h = np.frombuffer(self.data, dtype="<u2", count=4 * self.n_methods, offset=self.methods_off).reshape(-1, 4)
        names = h[:, 2].astype(np.uint32) | (h[:, 3].astype(np.uint32) << 16)
        protos: dict[int, str] = {}
        for midx in np.flatnonzero(np.isin(names, np.fromiter(by_index, dtype=np.uint32))).tolist():
            pos = self.code_of_method.get(midx)
            if pos is None:
                continue
            name = by_index[int(names[midx])]
            proto_idx = int(h[midx, 1])
            if proto_idx not in protos:
                protos[proto_idx] = self.proto(proto_idx)
            if protos[proto_idx] == wanted[name]:
                out.setdefault(int(h[midx, 0]), {})[name] = pos
        return out

    def method_parts(self, midx: int) -> tuple[int, int, int]:
        """(class type idx, name string idx, proto idx) of a method reference."""
        self._check_method(midx)
        h = self._method_h
        return int(h[4 * midx]), int(h[4 * midx + 2] | (h[4 * midx + 3] << 16)), int(h[4 * midx + 1])

    @cached_property
    def superclass_of(self) -> dict[int, int]:
        """Defined class type idx → its superclass type idx."""
        return {t: sup for t, sup, _, _ in self.class_defs if sup != NO_INDEX}

    def field_class(self, fidx: int) -> int:
        if not 0 <= fidx < self.n_fields:
            raise DexError(f"{self.name}: field index {fidx} out of range")
        return int(self._field_h[4 * fidx])

    def method_at(self, offset: int) -> int | None:
        """Position in ``code`` of the method whose bytecode holds ``offset``."""
        starts, ends, _ = self.code
        i = bisect_right(starts, offset) - 1
        return i if i >= 0 and offset < ends[i] else None

    @cached_property
    def _decoded(self) -> dict[int, list[Insn]]:
        return {}

    def instructions(self, pos: int) -> list[Insn]:
        """The referencing instructions of one method, decoded once and kept (checks share them)."""
        cached = self._decoded.get(pos)
        if cached is None:
            starts, ends, _ = self.code
            cached = list(self.decode(starts[pos], ends[pos]))
            if len(self._decoded) < 50_000:
                self._decoded[pos] = cached
        return cached

    @cached_property
    def _units(self) -> tuple[int, np.ndarray, np.ndarray]:
        """The bytecode region as 16-bit units: (byte offset of unit 0, low bytes, whole units)."""
        starts, ends, _ = self.code
        if not starts:
            empty = np.zeros(0, dtype=np.uint16)
            return 0, empty, empty
        base = starts[0] - (starts[0] % 2)
        count = (max(ends) - base) // 2
        units = np.frombuffer(self.data, dtype="<u2", count=count, offset=base)
        return base, (units & 0xFF).astype(np.uint8), units

    @cached_property
    def _op_index(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Per opcode family: unit positions whose low byte is such an opcode, and the 16-bit operand after."""
        _, ops, units = self._units
        out = {}
        for family, opcodes in (("invoke", INVOKE_OPS), ("field", FIELD_GET_OPS), ("string", {CONST_STRING})):
            table = np.zeros(256, dtype=bool)  # one look-up per unit instead of one comparison per opcode
            table[list(opcodes)] = True
            pos = np.flatnonzero(table[ops[:-1]])
            out[family] = (pos, units[pos + 1])
        return out

    def _search(self, family: str, indices: Iterable[int]) -> dict[int, list[Insn]]:
        """Instructions of an opcode family that reference one of ``indices``, by method position.

        Candidates come from a vectorised scan of the bytecode (a 16-bit unit whose low byte is such an
        opcode, followed by a wanted index); each is confirmed by decoding its method, since a candidate
        may also be the middle of another instruction.
        """
        wanted = sorted(set(i for i in indices if 0 <= i <= 0xFFFF))
        if not wanted or not self.n_classes:
            return {}
        found: dict[int, list[Insn]] = {}
        decoded: dict[int, dict[int, Insn]] = {}
        wanted_set = set(wanted)
        starts, _, _ = self.code
        if not starts:
            return {}
        base = self._units[0]
        positions, operands = self._op_index[family]
        table = np.zeros(0x10000, dtype=bool)
        table[wanted] = True
        hits = positions[table[operands]]
        for off in (base + 2 * int(p) for p in hits):
            pos = self.method_at(off)
            if pos is None or (off - starts[pos]) % 2:
                continue
            if pos not in decoded:
                decoded[pos] = {i.pc: i for i in self.instructions(pos)}
            insn = decoded[pos].get(off)
            if insn is not None and insn.index in wanted_set and insn.op == self.data[off]:
                found.setdefault(pos, []).append(insn)
        return found

    def find_invokes(self, methods: Iterable[int]) -> dict[int, list[Insn]]:
        return self._search("invoke", methods)

    def find_field_reads(self, fields: Iterable[int]) -> dict[int, list[Insn]]:
        return self._search("field", fields)

    def find_const_strings(self, strings: Iterable[int]) -> dict[int, list[Insn]]:
        return self._search("string", strings)
