"""Native libraries (``lib/<abi>/*.so``): what identifying data their code can read.

One ABI per library name is read (arm64-v8a first, then armeabi-v7a, x86_64, ...): the builds of one
library for different ABIs come from the same source. Each ELF file is parsed with pyelftools (pure Python,
~25 ms to import against ~280 ms and 50 MB more for LIEF; see bench/README.md) for two things only: the
symbols it imports (``.dynsym`` undefined entries) and the strings of its read-only data (``.rodata*``).
A read is reported only when both halves are there:

- a file of ``identifying_sources.json`` (``/sys/class/net/%s/address``, ``/proc/net/arp``, ...) named in the
  strings, with a file-opening import (``fopen``, ``open``, ``openat``, an ``ifstream``);
- a system property of the table (``ro.serialno``, ...) with ``__system_property_get``/``_read``/``_find``
  imported (or named for ``dlsym``);
- a shell command of the table (``pm list packages``, ...) with ``popen``/``system``/``exec*`` imported;
- a Java API of ``sensitive_apis.json`` called back through JNI: its method name and its exact JNI signature
  (``getDeviceId`` and ``()Ljava/lang/String;``) both as whole strings, plus the class name
  (``android/telephony/TelephonyManager``) when the method name alone is ambiguous or the API is a field,
  and the key for keyed APIs (``android_id``). JNI calls go through the ``JNIEnv`` function table, so
  ``GetMethodID`` is never an import; the strings are what a call names.

A battery level file with ``fopen`` stays quiet: it is not in the table. A library that cannot be parsed is
skipped with a note (never a crash); a library larger than the dex size limit is skipped the same way.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from gate.core.constprop import identify
from gate.errors import GateError

if TYPE_CHECKING:
    from gate.core.context import BuildContext

ABI_ORDER = ("arm64-v8a", "armeabi-v7a", "x86_64", "armeabi", "x86", "mips64", "mips")
MAX_LIBRARIES = 400  # library names read per APK; real apps ship tens
MAX_STRINGS = 400_000  # strings kept per library
_LIB = re.compile(r"^lib/([^/]+)/([^/]+\.so)$")
_STRING = re.compile(rb"[\x20-\x7e]{3,}")
FILE_IMPORTS = frozenset({"fopen", "fopen64", "open", "open64", "openat", "openat64", "__open_2", "__openat_2",
                          "freopen", "opendir"})
PROPERTY_IMPORTS = frozenset({"__system_property_get", "__system_property_read", "__system_property_find",
                              "__system_property_read_callback", "property_get"})
COMMAND_IMPORTS = frozenset({"popen", "system", "execl", "execle", "execlp", "execv", "execve", "execvp", "execvpe",
                             "posix_spawn", "posix_spawnp"})


@dataclass(frozen=True)
class NativeRead:
    """One identifying read a library's code can make."""

    library: str  # lib/<abi>/<name>.so
    how: str  # file, property, command, jni
    target: str  # the path, property, command or Java API as the library names it
    category: str
    what: str
    imports: tuple[str, ...]  # the imported functions that make the read
    sdk: str | None = None


@dataclass(frozen=True)
class NativeReport:
    reads: tuple[NativeRead, ...]
    libraries: tuple[str, ...]  # the libraries read
    skipped: tuple[tuple[str, str], ...]  # (library, why) of those that could not be read


@dataclass(frozen=True)
class JniApi:
    api: str  # the Dalvik signature of sensitive_apis.json
    category: str
    cls: str  # android/telephony/TelephonyManager
    name: str
    signature: str  # ()Ljava/lang/String;  or  Ljava/lang/String; for a field
    needs_class: bool
    key: str | None


@cache
def jni_apis() -> tuple[JniApi, ...]:
    from gate.core.code import KEYED_APIS
    from gate.core.sdks import sensitive_apis

    parsed = []
    for api, category in sensitive_apis().items():
        cls, member = api.split("->", 1)
        if "(" in member:
            name, rest = member.split("(", 1)
            sig, is_field = "(" + rest, False
        else:
            name, sig = member.split(":", 1)
            is_field = True
        parsed.append((api, category, cls[1:-1], name, sig, is_field))
    owners: dict[str, set[str]] = {}
    for _, _, cls, name, _, _ in parsed:
        owners.setdefault(name, set()).add(cls)
    return tuple(JniApi(api=api, category=category, cls=cls, name=name, signature=sig,
                        needs_class=is_field or len(owners[name]) > 1, key=KEYED_APIS.get(api))
                 for api, category, cls, name, sig, is_field in parsed)


def choose_libraries(entries: list[str]) -> dict[str, str]:
    """Library file name → the entry read for it: one ABI per name, in ABI_ORDER (unknown ABIs last)."""
    rank = {abi: i for i, abi in enumerate(ABI_ORDER)}
    best: dict[str, tuple[int, str]] = {}
    for entry in entries:
        m = _LIB.match(entry)
        if not m:
            continue
        abi, name = m.groups()
        order = rank.get(abi, len(ABI_ORDER))
        if name not in best or order < best[name][0]:
            best[name] = (order, entry)
    return {name: entry for name, (_, entry) in sorted(best.items())}


class NativeError(GateError):
    """The library is not an ELF file the gate can read."""


def elf_parts(data: bytes) -> tuple[set[str], set[str]]:
    """(imported symbol names, read-only data strings) of one ELF shared object; NativeError if malformed."""
    from elftools.common.exceptions import ELFError
    from elftools.elf.elffile import ELFFile
    from elftools.elf.sections import SymbolTableSection

    if data[:4] != b"\x7fELF":
        raise NativeError("not an ELF file")
    try:
        elf = ELFFile(io.BytesIO(data))
        header = elf.header
        if header["e_shoff"] + header["e_shnum"] * header["e_shentsize"] > len(data):
            raise NativeError("malformed ELF (its section header table lies beyond the end of the file)")
        imports: set[str] = set()
        exported_jni = False
        strings: set[str] = set()
        rodata_seen = False
        for index in range(elf.num_sections()):
            try:  # one section pyelftools cannot decode (an odd .ARM.attributes) leaves the others readable
                section = elf.get_section(index)
            except (ELFError, ValueError, KeyError, AssertionError):
                continue
            if isinstance(section, SymbolTableSection) and section.name == ".dynsym":
                for sym in section.iter_symbols():
                    if not sym.name:
                        continue
                    if sym["st_shndx"] == "SHN_UNDEF":
                        imports.add(sym.name)
                    elif sym.name == "JNI_OnLoad" or sym.name.startswith("Java_"):
                        exported_jni = True
            elif section.name.startswith(".rodata") and section["sh_type"] != "SHT_NOBITS":
                rodata_seen = True
                _add_strings(strings, section.data())
        if not rodata_seen:  # section headers stripped or renamed: the whole file's strings
            _add_strings(strings, data)
        if exported_jni:
            imports.add("(JNI entry points)")
    except (MemoryError, NativeError):
        raise
    except (ELFError, Exception) as exc:  # noqa: BLE001 - any parser failure means a malformed library
        raise NativeError(f"malformed ELF ({type(exc).__name__}: {str(exc)[:120]})") from None
    return imports, strings


def _add_strings(out: set[str], blob: bytes) -> None:
    for chunk in blob.split(b"\x00"):
        if len(chunk) >= 3 and _STRING.fullmatch(chunk):
            out.add(chunk.decode("ascii"))
            if len(out) >= MAX_STRINGS:
                return


def reads_of(library: str, imports: set[str], strings: set[str], sdk: str | None = None) -> list[NativeRead]:
    """The identifying reads one library can make, from its imports and strings."""
    out: list[NativeRead] = []
    openers = tuple(sorted(i for i in imports if i in FILE_IMPORTS or "basic_ifstream" in i or "basic_filebuf" in i))
    if openers:
        paths = [s for s in strings if s.startswith(("/sys/", "/proc/"))]
        for path in paths:
            # a printf pattern stands for the interface or number filled in at run time
            source = identify("files", path.replace("%s", "x").replace("%d", "0"))
            if source is not None and not any(r.target == path for r in out):
                out.append(NativeRead(library, "file", path, source.category, source.what, openers[:3], sdk))
    getters = tuple(sorted(imports & PROPERTY_IMPORTS))
    if not getters and "dlsym" in imports:
        getters = tuple(sorted(PROPERTY_IMPORTS & strings))
        getters = tuple(f"dlsym({g})" for g in getters)
    if getters:
        for name in sorted(strings):
            if name.count(".") >= 1 and (source := identify("properties", name)) is not None:
                out.append(NativeRead(library, "property", name, source.category, source.what, getters[:2], sdk))
    runners = tuple(sorted(imports & COMMAND_IMPORTS))
    if runners:
        for cmd in sorted(strings):
            source = identify("commands", cmd)
            if source is not None and not any(r.target == cmd for r in out):
                out.append(NativeRead(library, "command", cmd, source.category, source.what, runners[:2], sdk))
    for api in jni_apis():
        if api.name not in strings or api.signature not in strings:
            continue
        if api.needs_class and api.cls not in strings:
            continue
        if api.key and api.key not in strings:
            continue
        what = f"{api.cls.rsplit('/', 1)[-1]}.{api.name} through JNI"
        out.append(NativeRead(library, "jni", api.api, api.category, what,
                              tuple(i for i in ("(JNI entry points)",) if i in imports), sdk))
    return out


def scan(ctx: BuildContext) -> NativeReport:
    """Every native library of the APK (one ABI per name), read within the limits."""
    from gate.core.context import IntakeError
    from gate.core.sdks import catalogue, lib_matches

    chosen = choose_libraries(ctx.entry_names())
    if not chosen:
        return NativeReport((), (), ())
    sdks = [(s.id, s.native_libs) for s in catalogue().sdks.values() if s.native_libs]
    reads: list[NativeRead] = []
    read: list[str] = []
    skipped: list[tuple[str, str]] = []
    for count, (name, entry) in enumerate(chosen.items()):
        if count >= MAX_LIBRARIES:
            skipped.append((entry, f"more than {MAX_LIBRARIES} libraries; the rest were not read"))
            break
        try:
            data = ctx.read(entry, ctx.limits.max_dex_bytes)
        except IntakeError as exc:
            skipped.append((entry, exc.message))
            continue
        try:
            imports, strings = elf_parts(data)
        except NativeError as exc:
            skipped.append((entry, str(exc)))
            continue
        finally:
            del data
        read.append(entry)
        sdk = next((sid for sid, patterns in sdks if any(lib_matches(p, name) for p in patterns)), None)
        reads += reads_of(entry, imports, strings, sdk)
    return NativeReport(tuple(reads), tuple(read), tuple(skipped))


def describe(r: NativeRead) -> tuple[str, str]:
    """(English, Chinese) one-line description of a read, for evidence values."""
    how = {
        "file": (f"reads {r.what} from the file {r.target}", f"读取文件 {r.target}（{r.what}）"),
        "property": (f"reads the system property {r.target} ({r.what})", f"读取系统属性 {r.target}（{r.what}）"),
        "command": (f"runs the command '{r.target}' ({r.what})", f"执行命令“{r.target}”（{r.what}）"),
        "jni": (f"calls {r.what}: {r.target}", f"通过 JNI 调用 {r.target}"),
    }
    return how[r.how]


def to_extra(r: NativeRead) -> dict[str, Any]:
    return {"category": r.category, "owner": "sdk" if r.sdk else "app", "how": r.how, "target": r.target,
            "imports": list(r.imports)}
