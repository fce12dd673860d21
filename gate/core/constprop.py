"""Constant propagation inside a method, for what apps hide from a scan by name.

A call to ``getDeviceId`` made through ``Class.forName("android.telephony.TelephonyManager")
.getMethod("getDe" + "viceId")``, a shell ``pm list packages`` run by ``Runtime.exec``, the MAC address read
from ``/sys/class/net/wlan0/address``, a ``Settings.Secure`` key built as ``"andr" + "oid_id"``: none of
them names a sensitive API. This module finds the methods that call one of the *target* APIs (reflection,
process creation, file readers, ``Settings.getString``, ``SystemProperties.get``) by a vectorised scan of
method references, and interprets only those methods, one pass over their registers in instruction order,
tracking string constants, ``StringBuilder`` chains, ``String.concat``, static String fields (the class's
``static_values`` or a ``sput-object`` in its ``<clinit>``), ``Class``/``Method``/``Field`` objects, object
arrays and ``File``/``Path`` objects. The pass ignores branches: a register holds the last value written
in bytecode order, which is what ``javac``/``d8`` emit for a name built in one place.

One level of inter-procedural summary: a method whose String parameter reaches a target (a reflection
helper ``call(String cls, String name)``) is summarised lazily; its callers are then interpreted with the
helper as a target, and the constants they pass resolve the names.

Every resolved target is a ``Hidden`` record; ``gate.code`` turns those that reach a sensitive API, an
identifying file, property or command (``gate/data/identifying_sources.json``) into call sites.
"""

from __future__ import annotations

import json
import re
import struct
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import cache
from importlib import resources
from typing import Any

from gate.apk.dex import INSN_LEN, INVOKE_OPS, DexError, DexFile, payload_end, uleb128

MAX_UNITS = 20_000  # methods longer than this (16-bit units) are not interpreted
MAX_HELPER_CALLERS = 200  # call sites of one helper interpreted with its summary
MAX_PIECES = 64

# Targets: what each API does with its arguments (``args`` includes the receiver for instance methods).
FOR_NAME = ("Ljava/lang/Class;->forName(Ljava/lang/String;)Ljava/lang/Class;",
            "Ljava/lang/Class;->forName(Ljava/lang/String;ZLjava/lang/ClassLoader;)Ljava/lang/Class;",
            "Ljava/lang/ClassLoader;->loadClass(Ljava/lang/String;)Ljava/lang/Class;")
GET_METHOD = ("Ljava/lang/Class;->getMethod(Ljava/lang/String;[Ljava/lang/Class;)Ljava/lang/reflect/Method;",
              "Ljava/lang/Class;->getDeclaredMethod(Ljava/lang/String;[Ljava/lang/Class;)Ljava/lang/reflect/Method;")
GET_FIELD = ("Ljava/lang/Class;->getField(Ljava/lang/String;)Ljava/lang/reflect/Field;",
             "Ljava/lang/Class;->getDeclaredField(Ljava/lang/String;)Ljava/lang/reflect/Field;")
INVOKE = "Ljava/lang/reflect/Method;->invoke(Ljava/lang/Object;[Ljava/lang/Object;)Ljava/lang/Object;"
FIELD_GET = "Ljava/lang/reflect/Field;->get(Ljava/lang/Object;)Ljava/lang/Object;"
EXEC = tuple("Ljava/lang/Runtime;->exec(" + a + ")Ljava/lang/Process;" for a in (
    "Ljava/lang/String;", "[Ljava/lang/String;", "Ljava/lang/String;[Ljava/lang/String;",
    "[Ljava/lang/String;[Ljava/lang/String;", "Ljava/lang/String;[Ljava/lang/String;Ljava/io/File;",
    "[Ljava/lang/String;[Ljava/lang/String;Ljava/io/File;"))
PROCESS_BUILDER = ("Ljava/lang/ProcessBuilder;-><init>([Ljava/lang/String;)V",
                   "Ljava/lang/ProcessBuilder;-><init>(Ljava/util/List;)V",
                   "Ljava/lang/ProcessBuilder;->command([Ljava/lang/String;)Ljava/lang/ProcessBuilder;",
                   "Ljava/lang/ProcessBuilder;->command(Ljava/util/List;)Ljava/lang/ProcessBuilder;")
FILE_READERS = tuple(c + "-><init>(" + a + ")V" for c, a in (
    ("Ljava/io/FileReader;", "Ljava/lang/String;"), ("Ljava/io/FileReader;", "Ljava/io/File;"),
    ("Ljava/io/FileInputStream;", "Ljava/lang/String;"), ("Ljava/io/FileInputStream;", "Ljava/io/File;"),
    ("Ljava/io/RandomAccessFile;", "Ljava/lang/String;Ljava/lang/String;"),
    ("Ljava/io/RandomAccessFile;", "Ljava/io/File;Ljava/lang/String;"),
    ("Ljava/util/Scanner;", "Ljava/io/File;"))) + tuple(
    "Ljava/nio/file/Files;->" + m for m in (
        "readAllBytes(Ljava/nio/file/Path;)[B", "readAllLines(Ljava/nio/file/Path;)Ljava/util/List;",
        "readAllLines(Ljava/nio/file/Path;Ljava/nio/charset/Charset;)Ljava/util/List;",
        "lines(Ljava/nio/file/Path;)Ljava/util/stream/Stream;",
        "newBufferedReader(Ljava/nio/file/Path;)Ljava/io/BufferedReader;",
        "newInputStream(Ljava/nio/file/Path;[Ljava/nio/file/OpenOption;)Ljava/io/InputStream;",
        "readString(Ljava/nio/file/Path;)Ljava/lang/String;"))
SETTINGS = ("Landroid/provider/Settings$Secure;->getString(Landroid/content/ContentResolver;Ljava/lang/String;)"
            "Ljava/lang/String;",
            "Landroid/provider/Settings$System;->getString(Landroid/content/ContentResolver;Ljava/lang/String;)"
            "Ljava/lang/String;")
SYSPROP_CLASS = "Landroid/os/SystemProperties;"
SYSPROP = (SYSPROP_CLASS + "->get(Ljava/lang/String;)Ljava/lang/String;",
           SYSPROP_CLASS + "->get(Ljava/lang/String;Ljava/lang/String;)Ljava/lang/String;")
TARGETS = (*FOR_NAME, *GET_METHOD, *GET_FIELD, INVOKE, FIELD_GET, *EXEC, *PROCESS_BUILDER, *FILE_READERS,
           *SETTINGS, *SYSPROP)
# Methods that find the candidates: a method calling none of these resolves nothing.
SINKS = (*GET_METHOD, *GET_FIELD, INVOKE, *EXEC, *PROCESS_BUILDER, *FILE_READERS, *SETTINGS, *SYSPROP)

SB = ("Ljava/lang/StringBuilder;", "Ljava/lang/StringBuffer;")


@dataclass(frozen=True)
class Hidden:
    """A target call whose arguments resolved: what it reaches and where the names came from."""

    kind: str  # "method" | "field" (reflection) | "command" | "file" | "setting" | "property"
    caller: str  # the method making the call (for a helper, the method passing the constant)
    dex: str
    target: str  # "Lcls;->name" (reflection), the command line, the path, the key, the property name
    api: str  # the Java API used (Method.invoke, Runtime.exec, FileReader.<init>, ...)
    how: str  # where the name came from: the constant pieces and helper methods
    reflective: bool = False  # a property read through reflection on SystemProperties
    helper: str | None = None  # the helper method the constant passed through
    position: int = -1  # code position of the caller in its dex (for the call graph)


# -- values -----------------------------------------------------------------------------------------
# A string: ("S", pieces, origins) - a piece is text, a parameter index (int) or None (unknown).
# ("B", id) a StringBuilder; ("C", str-value) a Class; ("M", class, name) a Method; ("F", class, name) a
# Field; ("A", id) an array; ("P", str-value) a File or Path; ("I", n) an int; ("O", type) another object.

Value = tuple[Any, ...]
UNKNOWN_STR: Value = ("S", (None,), ("?",))


def _text(v: Value | None) -> str | None:
    """The constant text of a string value, or None."""
    if v is None or v[0] != "S" or any(not isinstance(p, str) for p in v[1]):
        return None
    return "".join(v[1])


def _how(v: Value) -> str:
    return " + ".join(v[2]) if len(v[2]) > 1 else v[2][0]


def _concat(a: Value | None, b: Value | None) -> Value:
    a = a if a is not None and a[0] == "S" else UNKNOWN_STR
    b = b if b is not None and b[0] == "S" else UNKNOWN_STR
    pieces = a[1] + b[1]
    if len(pieces) > MAX_PIECES:
        return UNKNOWN_STR
    return ("S", pieces, a[2] + b[2])


def _has_params(v: Value | None) -> bool:
    if v is None:
        return False
    if v[0] == "S":
        return any(isinstance(p, int) for p in v[1])
    if v[0] in ("C", "P"):
        return _has_params(v[1])
    if v[0] in ("M", "F"):
        return _has_params(v[1]) or _has_params(v[2])
    return False


def _bind(v: Value | None, args: list[Value | None], helper: str) -> Value | None:
    """Substitute the helper's parameters in ``v`` by the caller's argument values."""
    if v is None:
        return None
    if v[0] == "S":
        pieces: list[Any] = []
        origins: list[str] = []
        for p, o in zip(v[1], v[2], strict=False):
            if isinstance(p, int):
                a = args[p] if p < len(args) else None
                if a is None or a[0] != "S":
                    pieces.append(None)
                    origins.append("?")
                else:
                    pieces += a[1]
                    origins.append(f"{_how(a)} (argument {p} of {helper})")
            else:
                pieces.append(p)
                origins.append(o)
        return ("S", tuple(pieces), tuple(origins))
    if v[0] in ("C", "P"):
        return (v[0], _bind(v[1], args, helper))
    if v[0] in ("M", "F"):
        return (v[0], _bind(v[1], args, helper), _bind(v[2], args, helper))
    return v


def class_descriptor(name: str) -> str:
    """``android.os.Build`` or ``android/os/Build`` or ``Landroid/os/Build;`` → ``Landroid/os/Build;``."""
    name = name.strip()
    if name.startswith("L") and name.endswith(";"):
        return name
    return "L" + name.replace(".", "/") + ";"


# -- identifying sources ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Source:
    pattern: str
    category: str
    what: str
    source: str


@cache
def identifying_sources() -> dict[str, tuple[Source, ...]]:
    """The table of gate/data/identifying_sources.json: files, properties, commands."""
    raw = json.loads(resources.files("gate.data").joinpath("identifying_sources.json").read_text(encoding="utf-8"))
    return {section: tuple(Source(e.get("pattern") or e["name"], e["category"], e["what"], e["source"])
                           for e in raw[section]) for section in ("files", "properties", "commands")}


def identify(section: str, text: str) -> Source | None:
    """The table entry a file path, property name or command line matches (None: not identifying)."""
    if section == "commands":
        text = re.sub(r"\s+", " ", text.strip())
    for entry in identifying_sources()[section]:
        if fnmatchcase(text, entry.pattern):
            return entry
    return None


# -- the interpreter --------------------------------------------------------------------------------

class _Frame:
    """Interprets one method once; collects the targets it reaches."""

    def __init__(self, an: Analyzer, d: DexFile, pos: int, caller: str,
                 helpers: dict[int, list[tuple[str, str, dict[str, Value | None]]]] | None) -> None:
        self.an = an
        self.d = d
        self.pos = pos
        self.caller = caller
        self.helpers = helpers or {}
        self.events: list[tuple[str, str, dict[str, Value | None]]] = []  # (sink kind, api, values)
        self.heap: dict[int, Any] = {}
        self.next_id = 0
        self.stores: dict[int, Value] | None = None  # sput-object of strings, when interpreting a <clinit>

    def _new(self, content: Any) -> int:
        self.next_id += 1
        self.heap[self.next_id] = content
        return self.next_id

    def _params(self, regs: dict[int, Value]) -> None:
        d = self.d
        start = d.code[0][self.pos]
        if start < 16:
            return
        nregs, nins = struct.unpack_from("<HH", d.data, start - 16)
        midx = d.code[2][self.pos]
        proto = d.proto(d._method_h[4 * midx + 1])
        params = _param_types(proto)
        words = sum(2 if t in ("J", "D") else 1 for t in params)
        reg = nregs - nins + (nins - words)  # the receiver, if any, comes first
        for k, t in enumerate(params):
            if t == "Ljava/lang/String;":
                regs[reg] = ("S", (k,), (f"parameter {k}",))
            reg += 2 if t in ("J", "D") else 1

    def run(self, stop: int | None = None) -> None:
        """Interpret the method, or its instructions before ``stop`` (past the last target call)."""
        d = self.d
        data = d.data
        starts, ends, _ = d.code
        pc, end = starts[self.pos], ends[self.pos]
        if stop is not None:
            end = min(end, stop)
        if (end - pc) // 2 > MAX_UNITS:
            return
        regs: dict[int, Value] = {}
        self._params(regs)
        result: Value | None = None
        targets = self.an.targets_of(d)
        while pc < end:
            op = data[pc]
            if op == 0 and (after := payload_end(data, pc, end)) is not None:
                pc = after
                continue
            length = INSN_LEN[op]
            if pc + 2 * length > end:
                break
            b1 = data[pc + 1]
            if op in INVOKE_OPS and op < 0xFA:
                midx = data[pc + 2] | (data[pc + 3] << 8)
                if op >= 0x74:  # /range
                    first = data[pc + 4] | (data[pc + 5] << 8)
                    arg_regs = list(range(first, first + b1))
                else:
                    n = b1 >> 4
                    packed = (data[pc + 4] & 0xF, data[pc + 4] >> 4, data[pc + 5] & 0xF, data[pc + 5] >> 4, b1 & 0xF)
                    arg_regs = list(packed[:n])
                result = self._invoke(midx, targets.get(midx), [regs.get(r) for r in arg_regs], arg_regs, regs)
                pc += 2 * length
                continue
            if op == 0xFC or op == 0xFD:  # invoke-custom(/range): javac 9+ string concatenation
                csidx = data[pc + 2] | (data[pc + 3] << 8)
                if op == 0xFD:
                    first = data[pc + 4] | (data[pc + 5] << 8)
                    arg_regs = list(range(first, first + b1))
                else:
                    packed = (data[pc + 4] & 0xF, data[pc + 4] >> 4, data[pc + 5] & 0xF, data[pc + 5] >> 4, b1 & 0xF)
                    arg_regs = list(packed[: b1 >> 4])
                result = self.an.concat(d, csidx, [regs.get(r) for r in arg_regs])
                pc += 2 * length
                continue
            if op in (0x0A, 0x0B, 0x0C):  # move-result*
                if result is not None and op == 0x0C:
                    regs[b1] = result
                else:
                    regs.pop(b1, None)
                result = None
            elif op == 0x1A or op == 0x1B:  # const-string(/jumbo)
                sidx = data[pc + 2] | (data[pc + 3] << 8) if op == 0x1A else struct.unpack_from("<I", data, pc + 2)[0]
                text = d.string(sidx)
                regs[b1] = ("S", (text,), (json.dumps(text, ensure_ascii=False),))
            elif op == 0x1C:  # const-class
                desc = d.type_name(data[pc + 2] | (data[pc + 3] << 8))
                regs[b1] = ("C", ("S", (desc,), (f"{desc}.class",)))
            elif op == 0x07 or op == 0x01:  # move(-object)
                self._set(regs, b1 & 0xF, regs.get(b1 >> 4))
            elif op == 0x08 or op == 0x02:
                self._set(regs, b1, regs.get(data[pc + 2] | (data[pc + 3] << 8)))
            elif op == 0x09 or op == 0x03:
                a = data[pc + 2] | (data[pc + 3] << 8)
                self._set(regs, a, regs.get(data[pc + 4] | (data[pc + 5] << 8)))
            elif op == 0x12:  # const/4
                nib = b1 >> 4
                regs[b1 & 0xF] = ("I", nib - 16 if nib > 7 else nib)
            elif op == 0x13:
                regs[b1] = ("I", struct.unpack_from("<h", data, pc + 2)[0])
            elif op == 0x14:
                regs[b1] = ("I", struct.unpack_from("<i", data, pc + 2)[0])
            elif op == 0x22:  # new-instance
                desc = d.type_name(data[pc + 2] | (data[pc + 3] << 8))
                regs[b1] = ("B", self._new([(), ()])) if desc in SB else ("O", desc)
            elif op == 0x23:  # new-array
                regs[b1 & 0xF] = ("A", self._new({}))
            elif op == 0x24 or op == 0x25:  # filled-new-array(/range)
                if op == 0x25:
                    first = data[pc + 4] | (data[pc + 5] << 8)
                    arg_regs = list(range(first, first + b1))
                else:
                    packed = (data[pc + 4] & 0xF, data[pc + 4] >> 4, data[pc + 5] & 0xF, data[pc + 5] >> 4, b1 & 0xF)
                    arg_regs = list(packed[: b1 >> 4])
                result = ("A", self._new({i: regs.get(r) for i, r in enumerate(arg_regs)}))
            elif op == 0x4D:  # aput-object
                arr, idx = regs.get(data[pc + 2]), regs.get(data[pc + 3])
                if arr is not None and arr[0] == "A" and idx is not None and idx[0] == "I":
                    self.heap[arr[1]][idx[1]] = regs.get(b1)
            elif op == 0x62:  # sget-object
                fidx = data[pc + 2] | (data[pc + 3] << 8)
                value = self.an.static_string(d, fidx)
                if value is None:
                    regs.pop(b1, None)
                else:
                    regs[b1] = value
            elif op == 0x69:  # sput-object
                if self.stores is not None and (v := regs.get(b1)) is not None and v[0] == "S":
                    self.stores[data[pc + 2] | (data[pc + 3] << 8)] = v
            elif op == 0x1F:  # check-cast: same value
                pass
            else:
                dest = _dest(op, b1, data, pc)
                if dest is not None:
                    regs.pop(dest, None)
                    if op in _WIDE_DEST:
                        regs.pop(dest + 1, None)
            if op not in (0x0A, 0x0B, 0x0C, 0x24, 0x25):
                result = None
            pc += 2 * length

    @staticmethod
    def _set(regs: dict[int, Value], reg: int, value: Value | None) -> None:
        if value is None:
            regs.pop(reg, None)
        else:
            regs[reg] = value

    def _builder(self, v: Value | None) -> Value:
        """The string a StringBuilder holds."""
        if v is None or v[0] != "B":
            return UNKNOWN_STR
        pieces, origins = self.heap[v[1]]
        return ("S", pieces, origins) if pieces else ("S", ("",), ('""',))

    def _invoke(self, midx: int, sig: str | None, args: list[Value | None], arg_regs: list[int],
                regs: dict[int, Value]) -> Value | None:
        if sig is None:
            summary = self.helpers.get(midx)
            if summary:
                name = self.d.method_signature(midx)
                for kind, api, values in summary:
                    self.events.append((kind, api, {k: _bind(v, args, name) for k, v in values.items()}
                                        | {"_helper": ("S", (name,), (name,))}))
            return None
        cls, rest = sig.split("->", 1)
        name = rest.split("(", 1)[0]
        if cls in SB:
            recv = args[0] if args else None
            if name == "<init>":
                if recv is not None and recv[0] == "B":
                    init = args[1] if len(args) > 1 and args[1] is not None and args[1][0] == "S" else None
                    self.heap[recv[1]] = [init[1], init[2]] if init else [(), ()]
                return None
            if name == "append" and recv is not None and recv[0] == "B":
                arg = args[1] if len(args) > 1 else None
                textual = rest.startswith(("append(Ljava/lang/String;)", "append(Ljava/lang/Object;)",
                                           "append(Ljava/lang/CharSequence;)"))
                if arg is None or arg[0] != "S" or not textual:
                    arg = UNKNOWN_STR
                cur = self._builder(recv) if self.heap[recv[1]][0] else ("S", (), ())
                joined = _concat(cur, arg) if cur[1] else arg
                self.heap[recv[1]] = [joined[1], joined[2]]
                return recv
            if name == "toString":
                return self._builder(recv)
            return None
        if sig == "Ljava/lang/String;->concat(Ljava/lang/String;)Ljava/lang/String;":
            return _concat(args[0], args[1])
        if sig in ("Ljava/lang/String;->valueOf(Ljava/lang/Object;)Ljava/lang/String;",
                   "Ljava/lang/String;->toString()Ljava/lang/String;", "Ljava/lang/String;->trim()Ljava/lang/String;",
                   "Ljava/lang/String;->intern()Ljava/lang/String;"):
            return args[0] if args and args[0] is not None and args[0][0] == "S" else None
        if sig == "Ljava/lang/String;-><init>(Ljava/lang/String;)V":
            if args[1] is not None and args[1][0] == "S":
                regs[arg_regs[0]] = args[1]
            return None
        if sig in FOR_NAME:
            v = args[0] if sig.startswith("Ljava/lang/Class;") else args[1]
            return ("C", v) if v is not None and v[0] == "S" else None
        if sig in GET_METHOD or sig in GET_FIELD:
            recv, nm = args[0], args[1]
            if recv is None or recv[0] != "C" or nm is None or nm[0] != "S":
                return None
            kind = "M" if sig in GET_METHOD else "F"
            self.events.append(("method" if kind == "M" else "field", sig, {"cls": recv[1], "name": nm}))
            return (kind, recv[1], nm)
        if sig == INVOKE:
            recv = args[0]
            if recv is not None and recv[0] == "M":
                arr = args[2] if len(args) > 2 else None
                first = self.heap[arr[1]].get(0) if arr is not None and arr[0] == "A" else None
                self.events.append(("invoke", sig, {"cls": recv[1], "name": recv[2], "arg": first}))
            return None
        if sig == FIELD_GET:
            return None
        if sig == "Ljava/util/Arrays;->asList([Ljava/lang/Object;)Ljava/util/List;":
            return args[0]
        if sig in EXEC:
            self.events.append(("command", sig, {"cmd": self._command(args[1])}))
            return None
        if sig in PROCESS_BUILDER:
            self.events.append(("command", sig, {"cmd": self._command(args[1])}))
            return None
        if sig == "Ljava/io/File;-><init>(Ljava/lang/String;)V":
            if args[1] is not None and args[1][0] == "S":
                regs[arg_regs[0]] = ("P", args[1])
            return None
        if sig in ("Ljava/io/File;-><init>(Ljava/lang/String;Ljava/lang/String;)V",
                   "Ljava/io/File;-><init>(Ljava/io/File;Ljava/lang/String;)V"):
            parent = args[1][1] if args[1] is not None and args[1][0] == "P" else args[1]
            regs[arg_regs[0]] = ("P", _concat(_concat(parent, ("S", ("/",), ('"/"',))), args[2]))
            return None
        if sig in ("Ljava/nio/file/Paths;->get(Ljava/lang/String;[Ljava/lang/String;)Ljava/nio/file/Path;",
                   "Ljava/nio/file/Path;->of(Ljava/lang/String;[Ljava/lang/String;)Ljava/nio/file/Path;"):
            return ("P", args[0]) if args[0] is not None and args[0][0] == "S" else None
        if sig == "Ljava/io/File;->toPath()Ljava/nio/file/Path;":
            return args[0] if args[0] is not None and args[0][0] == "P" else None
        if sig in FILE_READERS:
            v = args[0] if "Ljava/nio/file/Files;" in sig else args[1]
            path = v[1] if v is not None and v[0] == "P" else v
            self.events.append(("file", sig, {"path": path}))
            return None
        if sig in SETTINGS:
            self.events.append(("setting", sig, {"key": args[1]}))
            return None
        if sig in SYSPROP:
            self.events.append(("property", sig, {"name": args[0]}))
            return None
        return None

    def _command(self, v: Value | None) -> Value | None:
        """A command line: a string, or an array/list of strings joined with blanks."""
        if v is None:
            return None
        if v[0] == "S":
            return v
        if v[0] == "A":
            items = self.heap[v[1]]
            out: Value = ("S", (), ())
            for i in range(len(items)):
                out = _concat(out, ("S", (" ",), ())) if i else out
                out = _concat(out, items.get(i))
            return ("S", out[1], ("String[]{" + ", ".join(out[2]) + "}",)) if out[1] else None
        return None


# Opcodes that write a wide (two-register) destination.
_WIDE_DEST = frozenset({0x04, 0x05, 0x06, 0x0B, 0x16, 0x17, 0x18, 0x19, 0x45, 0x53, 0x61}
                       | set(range(0x7D, 0x7E + 1)) | {0x81, 0x83, 0x84, 0x86, 0x88, 0x8A, 0x8B}
                       | set(range(0x9B, 0xA5)) | set(range(0xAB, 0xB0)) | set(range(0xBB, 0xC5))
                       | set(range(0xCB, 0xD0)))


def _dest(op: int, b1: int, data: bytes, pc: int) -> int | None:
    """The register an instruction writes (None: it writes none)."""
    if op in (0x01, 0x04, 0x07, 0x12, 0x20, 0x21, 0x23) or 0x7B <= op <= 0x8F or 0xB0 <= op <= 0xCF \
            or 0x52 <= op <= 0x58 or 0xD0 <= op <= 0xD7:
        return b1 & 0xF
    if op in (0x02, 0x05, 0x08, 0x0A, 0x0B, 0x0C, 0x0D) or 0x13 <= op <= 0x1C or op == 0x22 \
            or 0x44 <= op <= 0x4A or 0x60 <= op <= 0x66 or 0x90 <= op <= 0xAF or 0xD8 <= op <= 0xE2:
        return b1
    if op in (0x03, 0x06, 0x09):
        return int(data[pc + 2] | (data[pc + 3] << 8))
    return None


def _param_types(proto: str) -> list[str]:
    params = proto[1: proto.index(")")]
    out = []
    i = 0
    while i < len(params):
        j = i
        while params[j] == "[":
            j += 1
        if params[j] == "L":
            j = params.index(";", j)
        out.append(params[i: j + 1])
        i = j + 1
    return out


# -- the analysis over an APK -----------------------------------------------------------------------

class Analyzer:
    """Finds and interprets the methods calling a target API in every dex; ``hidden()`` is the result."""

    def __init__(self, dexes: list[DexFile]) -> None:
        self.dexes = dexes
        self._targets: dict[str, dict[int, str]] = {}
        self._statics: dict[tuple[str, int], Value | None] = {}
        self._clinit_done: dict[tuple[str, int], dict[int, Value]] = {}
        self._sites: dict[tuple[str, int], tuple[str, list[Any], list[str]] | None] = {}

    def targets_of(self, d: DexFile) -> dict[int, str]:
        """Method index → target signature, plus the String/StringBuilder/File helpers the frame models."""
        found = self._targets.get(d.name)
        if found is None:
            found = {}
            extra = ("Ljava/lang/String;->concat(Ljava/lang/String;)Ljava/lang/String;",
                     "Ljava/lang/String;->valueOf(Ljava/lang/Object;)Ljava/lang/String;",
                     "Ljava/lang/String;->toString()Ljava/lang/String;", "Ljava/lang/String;->trim()Ljava/lang/String;",
                     "Ljava/lang/String;->intern()Ljava/lang/String;",
                     "Ljava/lang/String;-><init>(Ljava/lang/String;)V",
                     "Ljava/util/Arrays;->asList([Ljava/lang/Object;)Ljava/util/List;",
                     "Ljava/io/File;-><init>(Ljava/lang/String;)V",
                     "Ljava/io/File;-><init>(Ljava/lang/String;Ljava/lang/String;)V",
                     "Ljava/io/File;-><init>(Ljava/io/File;Ljava/lang/String;)V",
                     "Ljava/nio/file/Paths;->get(Ljava/lang/String;[Ljava/lang/String;)Ljava/nio/file/Path;",
                     "Ljava/nio/file/Path;->of(Ljava/lang/String;[Ljava/lang/String;)Ljava/nio/file/Path;",
                     "Ljava/io/File;->toPath()Ljava/nio/file/Path;")
            for sig in (*TARGETS, *extra):
                cls, rest = sig.split("->", 1)
                name, proto = rest.split("(", 1)
                for idx in _exact(d, cls, name, "(" + proto):
                    found[idx] = sig
            for cls in SB:  # every append/toString/<init> of the builders
                t = d.find_type(cls)
                if t is not None:
                    for idx in d.methods_of_type(t):
                        found[idx] = d.method_signature(idx)
            self._targets[d.name] = found
        return found

    def concat(self, d: DexFile, csidx: int, args: list[Value | None]) -> Value | None:
        """The string an ``invoke-custom`` on ``StringConcatFactory`` builds from its arguments (one register
        per argument, two for a long or double), or None for any other call site."""
        key = (d.name, -1 - csidx)
        site = self._sites.get(key)
        if key not in self._sites:
            try:
                site = _concat_site(d, csidx)
            except (DexError, IndexError, struct.error, ValueError):
                site = None
            self._sites[key] = site
        if site is None:
            return None
        recipe, constants, params = site
        values: list[Value | None] = []
        reg = 0
        for t in params:
            v = args[reg] if reg < len(args) else None
            if v is not None and v[0] == "I" and t in ("I", "S", "B"):
                v = ("S", (str(v[1]),), (str(v[1]),))
            values.append(v)
            reg += 2 if t in ("J", "D") else 1
        out: Value = ("S", (), ())
        literal, taken, used = "", 0, 0
        for ch in recipe + "\x01\x00":  # a sentinel argument flushes the last literal run
            if ch not in "\x01\x02":
                if ch != "\x00":
                    literal += ch
                continue
            if literal:
                out = _concat(out, ("S", (literal,), (json.dumps(literal, ensure_ascii=False),)))
                literal = ""
            if ch == "\x02":
                const = constants[used] if used < len(constants) else None
                used += 1
                out = _concat(out, ("S", (const,), (json.dumps(const, ensure_ascii=False),)) if isinstance(
                    const, str) else UNKNOWN_STR)
            elif taken < len(values):
                out = _concat(out, values[taken])
                taken += 1
        return out if out[1] else ("S", ("",), ('""',))

    def static_string(self, d: DexFile, fidx: int) -> Value | None:
        """The String value of a static field of a class defined in this dex: its static_values entry, or a
        constant stored by its ``<clinit>``."""
        key = (d.name, fidx)
        if key in self._statics:
            return self._statics[key]
        value: Value | None = None
        try:
            value = self._static_uncached(d, fidx)
        except (DexError, IndexError, struct.error, ValueError):
            value = None
        self._statics[key] = value
        return value

    def _static_uncached(self, d: DexFile, fidx: int) -> Value | None:
        t = d.field_class(fidx)
        ci = d.defined_types.get(t)
        if ci is None or d.field_signature(fidx).rsplit(":", 1)[1] != "Ljava/lang/String;":
            return None
        sig = d.field_signature(fidx)
        row = struct.unpack_from("<8I", d.data, d.classes_off + 32 * ci)
        class_data, static_values = row[6], row[7]
        if class_data and static_values:
            n_static, p = uleb128(d.data, class_data)
            for _ in range(3):
                _, p = uleb128(d.data, p)
            statics = []
            f = 0
            for _ in range(n_static):
                diff, p = uleb128(d.data, p)
                _, p = uleb128(d.data, p)
                f += diff
                statics.append(f)
            values = _encoded_array(d, static_values)
            if fidx in statics:
                i = statics.index(fidx)
                if i < len(values) and isinstance(values[i], str):
                    return ("S", (values[i],), (f"{sig} = {json.dumps(values[i], ensure_ascii=False)}",))
        # a <clinit> storing a constant
        clinit = d.lifecycle.get(t, {}).get("<clinit>")
        if clinit is None:
            return None
        for idx, v in self._clinit_stores(d, clinit).items():
            if idx == fidx and (text := _text(v)) is not None:
                return ("S", (text,), (f"{sig} = {_how(v)}",))
        return None

    def _clinit_stores(self, d: DexFile, pos: int) -> dict[int, Value]:
        """Field index → value of the sput-object instructions of a class initialiser (string values)."""
        key = (d.name, pos)
        done = self._clinit_done.get(key)
        if done is not None:
            return done
        self._clinit_done[key] = {}  # no recursion through a <clinit> reading its own fields
        frame = _Frame(self, d, pos, d.method_signature(d.code[2][pos]), None)
        frame.stores = {}
        frame.run()
        self._clinit_done[key] = frame.stores
        return frame.stores

    def candidates(self, d: DexFile) -> dict[int, int]:
        """Code position of each method calling a sink → the byte offset past its last sink call (a
        vectorised scan of the method references; nothing after that call can matter)."""
        targets = self.targets_of(d)
        sinks = set(SINKS)
        found = d.find_invokes([i for i, s in targets.items() if s in sinks])
        return {pos: max(i.pc for i in insns) + 6 for pos, insns in sorted(found.items())}

    def hidden(self) -> list[Hidden]:
        out: list[Hidden] = []
        for d in self.dexes:
            try:
                out += self._hidden_in(d)
            except (DexError, IndexError, struct.error, ValueError):
                continue
        return out

    def _hidden_in(self, d: DexFile) -> list[Hidden]:
        out: list[Hidden] = []
        helpers: dict[int, list[tuple[str, str, dict[str, Value | None]]]] = {}
        for pos, stop in self.candidates(d).items():
            frame = _Frame(self, d, pos, "", None)
            frame.run(stop)
            if not frame.events:
                continue
            caller = d.method_signature(d.code[2][pos])
            templated = []
            for kind, api, values in frame.events:
                if any(_has_params(v) for v in values.values()):
                    templated.append((kind, api, values))
                else:
                    out += resolve(kind, api, values, caller, d.name, pos)
            if templated:
                helpers[d.code[2][pos]] = templated
        if helpers:  # one level: the callers of each helper, with the helper's summary
            callers = d.find_invokes(helpers)
            for pos, insns in list(callers.items())[:MAX_HELPER_CALLERS]:
                caller = d.method_signature(d.code[2][pos])
                frame = _Frame(self, d, pos, caller, helpers)
                frame.run(max(i.pc for i in insns) + 6)
                for kind, api, values in frame.events:
                    if "_helper" in values:
                        out += resolve(kind, api, values, caller, d.name, pos)
        return out


def _exact(d: DexFile, cls: str, name: str, proto: str) -> list[int]:
    t = d.find_type(cls)
    if t is None:
        return []
    return [m for m in d.methods_named(t).get(name, ()) if d.method_signature(m).endswith(proto)]


CONCAT_FACTORY = "Ljava/lang/invoke/StringConcatFactory;->"
MAP_CALL_SITE_IDS, MAP_METHOD_HANDLES = 0x0007, 0x0008


def _map_section(d: DexFile, kind: int) -> tuple[int, int] | None:
    """(offset, count) of one section of the dex map list (call sites and method handles are only there)."""
    data = d.data
    (map_off,) = struct.unpack_from("<I", data, 0x34)
    (n,) = struct.unpack_from("<I", data, map_off)
    for i in range(min(n, 64)):
        t, _, size, off = struct.unpack_from("<HHII", data, map_off + 4 + 12 * i)
        if t == kind:
            return off, size
    return None


def _concat_site(d: DexFile, csidx: int) -> tuple[str, list[Any], list[str]] | None:
    """(recipe, constants, parameter types) of a call site bootstrapped by ``StringConcatFactory``: its
    encoded array is [method handle, name, method type, (recipe, constants...)]. ``makeConcat`` has no recipe:
    each argument in turn (\\x01 per parameter)."""
    sites, handles = _map_section(d, MAP_CALL_SITE_IDS), _map_section(d, MAP_METHOD_HANDLES)
    if sites is None or handles is None or not 0 <= csidx < sites[1]:
        return None
    data = d.data
    (off,) = struct.unpack_from("<I", data, sites[0] + 4 * csidx)
    n, p = uleb128(data, off)
    if n < 3 or data[p] & 0x1F != 0x16:  # VALUE_METHOD_HANDLE
        return None
    size = (data[p] >> 5) + 1
    handle = int.from_bytes(data[p + 1: p + 1 + size], "little")
    if not 0 <= handle < handles[1]:
        return None
    htype, _, member = struct.unpack_from("<HHH", data, handles[0] + 8 * handle)
    if htype > 0x03 and not d.method_signature(member).startswith(CONCAT_FACTORY):
        return None
    if htype <= 0x03:  # a field accessor handle: no concatenation
        return None
    p += 1 + size
    values: list[Any] = []
    for _ in range(n - 1):
        head = data[p]
        if head & 0x1F == 0x15:  # VALUE_METHOD_TYPE: the call's proto
            sz = (head >> 5) + 1
            values.append(("proto", int.from_bytes(data[p + 1: p + 1 + sz], "little")))
            p += 1 + sz
            continue
        value, p = _encoded_value(d, p)
        values.append(value)
    name = values[0] if values else None
    protos = [v[1] for v in values[1:2] if isinstance(v, tuple)]
    if not protos or name not in ("makeConcatWithConstants", "makeConcat"):
        return None
    params = _param_types(d.proto(protos[0]))
    if name == "makeConcat":
        return "\x01" * len(params), [], params
    recipe = values[2] if len(values) > 2 and isinstance(values[2], str) else None
    if recipe is None:
        return None
    return recipe, values[3:], params


def _encoded_array(d: DexFile, off: int) -> list[Any]:
    """The values of an encoded_array (strings as text, everything else as None)."""
    data = d.data
    n, p = uleb128(data, off)
    out: list[Any] = []
    for _ in range(n):
        value, p = _encoded_value(d, p)
        out.append(value)
    return out


def _encoded_value(d: DexFile, p: int) -> tuple[Any, int]:
    data = d.data
    head = data[p]
    p += 1
    vtype, arg = head & 0x1F, head >> 5
    if vtype in (0x1E, 0x1F):
        return None, p
    if vtype == 0x1C:
        n, p = uleb128(data, p)
        for _ in range(n):
            _, p = _encoded_value(d, p)
        return None, p
    if vtype == 0x1D:
        _, p = uleb128(data, p)
        n, p = uleb128(data, p)
        for _ in range(n):
            _, p = uleb128(data, p)
            _, p = _encoded_value(d, p)
        return None, p
    size = arg + 1
    raw = data[p: p + size]
    p += size
    if vtype == 0x17:
        return d.string(int.from_bytes(raw, "little")), p
    return None, p


# -- from events to findings ------------------------------------------------------------------------

def resolve(kind: str, api: str, values: dict[str, Value | None], caller: str, dex: str,
            pos: int) -> list[Hidden]:
    """The Hidden records of one target call whose values are known."""
    helper = _text(values.get("_helper"))
    def hidden(kind: str, target: str, how: str, reflective: bool = False) -> Hidden:
        return Hidden(kind=kind, caller=caller, dex=dex, target=target, api=api, how=how, reflective=reflective,
                      helper=helper, position=pos)

    if kind in ("method", "field", "invoke"):
        cls_v, name_v = values.get("cls"), values.get("name")
        cls, name = _text(cls_v), _text(name_v)
        if cls is None or name is None or cls_v is None or name_v is None:
            return []
        desc = class_descriptor(cls)
        how = f"class {_how(cls_v)}, {'field' if kind == 'field' else 'method'} {_how(name_v)}"
        if kind == "invoke":
            if desc == SYSPROP_CLASS and name in ("get", "getInt", "getLong", "getBoolean"):
                arg = values.get("arg")
                prop = _text(arg)
                if prop is None or arg is None:
                    return []
                return [hidden("property", prop, f"{how}, argument {_how(arg)}", True)]
            return []
        return [hidden(kind, f"{desc}->{name}", how)]
    if kind == "command":
        v = values.get("cmd")
        text = _text(v) if v is not None else None
        if v is None or text is None:
            # unknown pieces: match what is known with the unknown parts as a wildcard
            if v is None or not any(isinstance(p, str) and p.strip() for p in v[1]):
                return []
            text = "".join(p if isinstance(p, str) else "x" for p in v[1])
        return [hidden("command", text, _how(v))]
    if kind == "file":
        v = values.get("path")
        if v is None or v[0] != "S" or not any(isinstance(p, str) and p for p in v[1]):
            return []
        text = "".join(p if isinstance(p, str) else "x" for p in v[1])
        return [hidden("file", text, _how(v))]
    if kind == "setting":
        v = values.get("key")
        text = _text(v)
        if v is None or text is None:
            return []
        return [hidden("setting", text, _how(v))]
    if kind == "property":
        v = values.get("name")
        text = _text(v)
        if v is None or text is None:
            return []
        return [hidden("property", text, _how(v))]
    return []
