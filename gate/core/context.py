"""The build context: one uploaded APK (and its listing), parsed lazily and at most once.

Everything a check may look at goes through here. Before anything is parsed, ``limit_violations``
measures the upload from its ZIP directory alone; parsing failures surface as ``IntakeError`` with a
message meant for a person. Binary XML and the resource table are read by ``gate.apk.axml``.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import pickle
import re
import signal
import struct
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gate.core.model import Evidence

if TYPE_CHECKING:
    from gate.apk.axml import ResourceTable
    from gate.apk.dex import DexFile
    from gate.apk.signature_report import SignatureReport
    from gate.core.code import CallSite, Code
    from gate.core.history import History
    from gate.core.listing import Listing
    from gate.core.sdks import Detected
    from gate.defaults import Limits

ANDROID_NS = "{http://schemas.android.com/apk/res/android}"
MANIFEST = "AndroidManifest.xml"
_DEX_NAME = re.compile(r"^classes(\d*)\.dex$")
_EOCD_SIG = b"PK\x05\x06"
_EOCD64_LOCATOR_SIG = b"PK\x06\x07"
_EOCD64_SIG = b"PK\x06\x06"


class IntakeError(Exception):
    """The upload cannot be analysed: ``rule_id`` is PKG-UNREADABLE or PKG-LIMITS."""

    def __init__(self, rule_id: str, message: str, evidence: tuple[Evidence, ...] = (), *,
                 zh: str | None = None) -> None:
        super().__init__(message)
        self.rule_id = rule_id
        self.message = message
        self.evidence = evidence
        self.message_zh = zh


def unreadable(message: str, *evidence: Evidence, zh: str) -> IntakeError:
    return IntakeError("PKG-UNREADABLE", message, tuple(evidence), zh=zh)


# --------------------------------------------------------------------------------------------- zip


@dataclass(frozen=True)
class ZipDirectory:
    """What the end-of-central-directory record declares, read without parsing any entry."""

    entries: int
    cd_size: int
    cd_offset: int


def read_zip_directory(path: Path, file_size: int) -> ZipDirectory | None:
    """Find the EOCD (and ZIP64 EOCD) record; ``None`` when the file has none."""
    tail_len = min(file_size, 22 + 0xFFFF)
    with path.open("rb") as fh:
        fh.seek(file_size - tail_len)
        tail = fh.read(tail_len)
        pos = tail.rfind(_EOCD_SIG)
        if pos < 0 or len(tail) - pos < 22:
            return None
        _, _, _, _, entries, cd_size, cd_offset, _ = struct.unpack("<4sHHHHIIH", tail[pos: pos + 22])
        if entries == 0xFFFF or cd_size == 0xFFFFFFFF or cd_offset == 0xFFFFFFFF:
            loc = pos - 20
            if loc >= 0 and tail[loc: loc + 4] == _EOCD64_LOCATOR_SIG:
                (eocd64_offset,) = struct.unpack("<Q", tail[loc + 8: loc + 16])
                if 0 <= eocd64_offset <= file_size - 56:
                    fh.seek(eocd64_offset)
                    rec = fh.read(56)
                    if rec[:4] == _EOCD64_SIG:
                        entries, cd_size, cd_offset = struct.unpack("<QQQ", rec[32:56])
    return ZipDirectory(entries=entries, cd_size=cd_size, cd_offset=cd_offset)


def _overlapping(infos: list[zipfile.ZipInfo], cd_offset: int) -> tuple[str, str] | None:
    """Two entries whose local data overlap (each entry's header and data must end before the next begins)."""
    ordered = sorted(infos, key=lambda i: i.header_offset)
    for here, after in zip(ordered, ordered[1:], strict=False):
        # the local header is 30 bytes plus the name; its extra field may differ from the central directory's,
        # so only the part that cannot vary is counted
        end = here.header_offset + 30 + len(here.orig_filename.encode("utf-8", "surrogateescape")) + here.compress_size
        if end > after.header_offset:
            return here.filename, after.filename
    if ordered:
        last = ordered[-1]
        if last.header_offset + 30 + last.compress_size > cd_offset > 0:
            return last.filename, "(central directory)"
    return None


# ---------------------------------------------------------------------------------------- manifest


@dataclass(frozen=True)
class IntentFilter:
    actions: tuple[str, ...]
    categories: tuple[str, ...]
    schemes: tuple[str, ...] = ()
    mime_types: tuple[str, ...] = ()


@dataclass(frozen=True)
class Component:
    kind: str  # activity, activity-alias, service, receiver, provider
    name: str
    exported_attr: bool | None
    permission: str | None
    read_permission: str | None
    write_permission: str | None
    intent_filters: tuple[IntentFilter, ...]
    attrs: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def is_launcher(self) -> bool:
        return any("android.intent.action.MAIN" in f.actions and "android.intent.category.LAUNCHER" in f.categories
                   for f in self.intent_filters)

    def exported(self, target_sdk: int) -> bool:
        """Android's rule: explicit attribute, else exported when it has intent filters.

        Providers were exported by default up to targetSdk 16.
        """
        if self.exported_attr is not None:
            return self.exported_attr
        if self.kind == "provider":
            return target_sdk <= 16
        return bool(self.intent_filters)

    @property
    def guarded(self) -> bool:
        if self.permission:
            return True
        return self.kind == "provider" and bool(self.read_permission and self.write_permission)

    @property
    def location(self) -> str:
        return f"AndroidManifest.xml <{self.kind} android:name=\"{self.name}\">"


@dataclass(frozen=True)
class PermissionRequest:
    name: str
    tag: str  # the element as written, e.g. "uses-permission" or "android:uses-permission"
    max_sdk: int | None = None


@dataclass(frozen=True)
class Manifest:
    package: str
    version_code: int | None
    version_name: str | None
    min_sdk: int | None
    target_sdk_declared: int | None
    permissions: tuple[PermissionRequest, ...]
    application: dict[str, str]
    components: tuple[Component, ...]

    @property
    def target_sdk(self) -> int:
        """The effective targetSdkVersion: Android falls back to minSdk, then to 1."""
        if self.target_sdk_declared is not None:
            return self.target_sdk_declared
        return self.min_sdk if self.min_sdk is not None else 1

    @property
    def permission_names(self) -> list[str]:
        seen: dict[str, None] = {}
        for p in self.permissions:
            seen.setdefault(p.name, None)
        return list(seen)

    def app_flag(self, name: str) -> bool | None:
        """A boolean ``<application>`` attribute: True/False when literal, None when absent or a reference."""
        value = self.application.get(name)
        if value is None:
            return None
        low = value.strip().lower()
        if low in ("true", "false"):
            return low == "true"
        return None


def _local(tag: Any) -> str:
    """``{ns}uses-permission`` and ``android:uses-permission`` both become ``uses-permission``."""
    if not isinstance(tag, str):
        return ""
    if tag.startswith("{"):
        tag = tag.split("}", 1)[1]
    return str(tag.split(":", 1)[-1])


def _attrs(element: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in element.attrib.items():
        out[_local(key)] = str(value)
    return out


def _int_attr(value: str | None) -> int | None:
    if value is None:
        return None
    value = value.strip()
    try:
        return int(value, 16) if value.lower().startswith("0x") else int(value)
    except ValueError:
        return None


def _bool_attr(value: str | None) -> bool | None:
    if value is None:
        return None
    low = value.strip().lower()
    return {"true": True, "false": False}.get(low)


def _class_name(package: str, name: str) -> str:
    if name.startswith("."):
        return package + name
    if "." not in name:
        return f"{package}.{name}"
    return name


_COMPONENT_TAGS = ("activity", "activity-alias", "service", "receiver", "provider")


MAX_MANIFEST_DEPTH = 64  # real manifests nest 5 or 6 levels; parsers slow down badly on thousands


def _xml_depth(raw: bytes, stop_at: int) -> int:
    """Deepest element nesting of a binary XML document, walking its chunk headers only (stops early)."""
    depth = deepest = 0
    offset, end = 8, len(raw)
    while offset + 8 <= end:
        kind, _header, size = struct.unpack_from("<HHI", raw, offset)
        if size < 8:
            break  # malformed: the reader reports it
        if kind == 0x0102:
            depth += 1
            deepest = max(deepest, depth)
            if deepest > stop_at:
                break
        elif kind == 0x0103:
            depth -= 1
        offset += size
    return deepest


def parse_manifest(raw: bytes) -> Manifest:
    """Decode a binary AndroidManifest.xml; raise IntakeError if it is not one."""
    from gate.apk.axml import AxmlError, parse

    if _xml_depth(raw, MAX_MANIFEST_DEPTH) > MAX_MANIFEST_DEPTH:
        raise unreadable(f"AndroidManifest.xml nests elements more than {MAX_MANIFEST_DEPTH} levels deep; a real "
                         "manifest nests 5 or 6, so this one was built to stall parsers and was not read.",
                         Evidence("file", MANIFEST, MANIFEST),
                         zh=f"AndroidManifest.xml 的元素嵌套超过 {MAX_MANIFEST_DEPTH} 层；正常清单只有 5 到 6 层，"
                            "此文件是为拖垮解析器而构造的，未予读取。")
    try:
        root = parse(raw)
    except AxmlError:
        root = None
    except MemoryError:
        raise  # the job hit its memory cap: the gate's failure, never "the APK is damaged"
    except Exception as exc:  # noqa: BLE001 - any parser failure means the manifest is unreadable
        raise unreadable(f"AndroidManifest.xml is not a valid binary XML document ({type(exc).__name__}).",
                         Evidence("file", MANIFEST, MANIFEST),
                         zh=f"AndroidManifest.xml 不是有效的二进制 XML 文档（{type(exc).__name__}）。") from None
    if root is None or _local(root.tag) != "manifest":
        raise unreadable("AndroidManifest.xml is not a valid binary Android manifest: it could not be decoded "
                         "as Android binary XML with a <manifest> root.", Evidence("file", MANIFEST, MANIFEST),
                         zh="AndroidManifest.xml 不是有效的 Android 二进制清单："
                            "无法解码为以 <manifest> 为根的 Android 二进制 XML。")
    top = _attrs(root)
    package = top.get("package", "").strip()
    if not package or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*", package):
        raise unreadable(f"AndroidManifest.xml declares no valid package name (found {package!r}).",
                         Evidence("manifest", package or "(none)", "AndroidManifest.xml <manifest package>"),
                         zh=f"AndroidManifest.xml 未声明有效的包名（实际为 {package!r}）。")

    min_sdk = target_sdk = None
    permissions: list[PermissionRequest] = []
    application: dict[str, str] = {}
    components: list[Component] = []
    for child in root:
        tag = _local(child.tag)
        if tag == "uses-sdk":
            a = _attrs(child)
            min_sdk = _int_attr(a.get("minSdkVersion"))
            target_sdk = _int_attr(a.get("targetSdkVersion"))
        elif tag in ("uses-permission", "uses-permission-sdk-23", "uses-permission-sdk-m"):
            a = _attrs(child)
            name = a.get("name", "").strip()
            if name:
                raw_tag = child.tag.split("}", 1)[-1] if isinstance(child.tag, str) else tag
                written = f"android:{raw_tag}" if str(child.tag).startswith("{") else raw_tag
                permissions.append(PermissionRequest(name, written, _int_attr(a.get("maxSdkVersion"))))
        elif tag == "application":
            application = _attrs(child)
            for comp in child:
                kind = _local(comp.tag)
                if kind not in _COMPONENT_TAGS:
                    continue
                a = _attrs(comp)
                name = a.get("name") or a.get("targetActivity") or ""
                filters = []
                for flt in comp:
                    if _local(flt.tag) != "intent-filter":
                        continue
                    actions, cats, schemes, mimes = [], [], [], []
                    for item in flt:
                        ia = _attrs(item)
                        itag = _local(item.tag)
                        if itag == "action" and "name" in ia:
                            actions.append(ia["name"])
                        elif itag == "category" and "name" in ia:
                            cats.append(ia["name"])
                        elif itag == "data":
                            if "scheme" in ia:
                                schemes.append(ia["scheme"])
                            if "mimeType" in ia:
                                mimes.append(ia["mimeType"])
                    filters.append(IntentFilter(tuple(actions), tuple(cats), tuple(schemes), tuple(mimes)))
                components.append(Component(
                    kind=kind, name=_class_name(package, name) if name else "(unnamed)",
                    exported_attr=_bool_attr(a.get("exported")), permission=a.get("permission"),
                    read_permission=a.get("readPermission"), write_permission=a.get("writePermission"),
                    intent_filters=tuple(filters), attrs=a,
                ))
    return Manifest(
        package=package, version_code=_int_attr(top.get("versionCode")), version_name=top.get("versionName"),
        min_sdk=min_sdk, target_sdk_declared=target_sdk, permissions=tuple(permissions),
        application=application, components=tuple(components),
    )


# --------------------------------------------------------------------------------------------- dex


@dataclass(frozen=True)
class DexHeader:
    entry: str
    version: str
    file_size: int
    string_ids: int
    type_ids: int
    method_ids: int
    class_defs: int


_DEX_HEADER_SIZE = 0x70


def check_dex_header(entry: str, head: bytes, actual_size: int) -> DexHeader:
    """Validate a dex header against the size the ZIP declares; IntakeError (PKG-UNREADABLE) if broken."""
    where = Evidence("file", entry, entry)
    if len(head) < _DEX_HEADER_SIZE:
        raise unreadable(f"{entry} is too short to be a dex file ({actual_size} bytes).", where,
                         zh=f"{entry} 只有 {actual_size} 字节，太短，不可能是 dex 文件。")
    if head[:4] != b"dex\n" or head[7] != 0 or not head[4:7].isdigit():
        raise unreadable(f"{entry} is not a dex file: its header does not start with the dex magic.", where,
                         zh=f"{entry} 不是 dex 文件：文件头不以 dex 魔数开头。")
    fields_ = struct.unpack_from("<I20sII4I8I", head, 8)
    file_size, header_size, endian = fields_[2], fields_[3], fields_[4]
    (link_size, link_off, map_off, string_ids_size, string_ids_off, type_ids_size, type_ids_off,
     proto_ids_size, proto_ids_off) = fields_[5:14]
    (field_ids_size, field_ids_off, method_ids_size, method_ids_off, class_defs_size, class_defs_off,
     data_size, data_off) = struct.unpack_from("<8I", head, 0x50)
    if endian != 0x12345678:
        raise unreadable(f"{entry} has an unsupported byte order (endian tag {endian:#x}).", where,
                         zh=f"{entry} 的字节序不受支持（endian tag {endian:#x}）。")
    if header_size != _DEX_HEADER_SIZE:
        raise unreadable(f"{entry} declares a header of {header_size} bytes; dex headers are 112 bytes.", where,
                         zh=f"{entry} 声明的文件头为 {header_size} 字节；dex 文件头应为 112 字节。")
    if file_size != actual_size:
        raise unreadable(f"{entry} declares {file_size} bytes in its header but holds {actual_size}: "
                         "the dex file is truncated or corrupted.", where,
                         zh=f"{entry} 的文件头声明 {file_size} 字节，实际为 {actual_size} 字节："
                            "dex 文件被截断或已损坏。")
    tables = [("string_ids", string_ids_size, string_ids_off, 4), ("type_ids", type_ids_size, type_ids_off, 4),
              ("proto_ids", proto_ids_size, proto_ids_off, 12), ("field_ids", field_ids_size, field_ids_off, 8),
              ("method_ids", method_ids_size, method_ids_off, 8), ("class_defs", class_defs_size, class_defs_off, 32),
              ("link", link_size, link_off, 1), ("data", data_size, data_off, 1)]
    for name, count, offset, item in tables:
        if count and (offset < _DEX_HEADER_SIZE or offset + count * item > file_size):
            raise unreadable(f"{entry}: the {name} table ({count} items at offset {offset}) lies outside the "
                             f"file ({file_size} bytes).", where,
                             zh=f"{entry}：{name} 表（{count} 项，偏移 {offset}）超出文件范围（{file_size} 字节）。")
    if not _DEX_HEADER_SIZE <= map_off < file_size:
        raise unreadable(f"{entry}: the map offset {map_off} lies outside the file.", where,
                         zh=f"{entry}：map 偏移 {map_off} 超出文件范围。")
    return DexHeader(entry=entry, version=head[4:7].decode(), file_size=file_size, string_ids=string_ids_size,
                     type_ids=type_ids_size, method_ids=method_ids_size, class_defs=class_defs_size)


# ----------------------------------------------------------------------------------------- context


@dataclass(frozen=True)
class LimitViolation:
    limit: str
    value: float
    maximum: float
    entry: str | None = None

    def describe(self) -> str:
        what = {
            "max_apk_bytes": "the upload is {value:,.0f} bytes; the limit is {maximum:,.0f}",
            "max_entries": "the archive declares {value:,.0f} entries; the limit is {maximum:,.0f}",
            "max_uncompressed_bytes": "the entries unpack to {value:,.0f} bytes; the limit is {maximum:,.0f}",
            "max_total_ratio": "the archive unpacks to {value:.0f} times its size; the limit is {maximum:.0f}",
            "max_entry_ratio": "{entry} unpacks to {value:.0f} times its compressed size; the limit is {maximum:.0f}",
            "max_manifest_bytes": "AndroidManifest.xml is {value:,.0f} bytes; the limit is {maximum:,.0f}",
            "max_dex_bytes": "{entry} is {value:,.0f} bytes; the limit is {maximum:,.0f}",
            "central_directory": "the ZIP directory claims {value:,.0f} bytes, more than the file holds",
        }[self.limit]
        return what.format(value=self.value, maximum=self.maximum, entry=self.entry)

    def describe_zh(self) -> str:
        what = {
            "max_apk_bytes": "上传文件为 {value:,.0f} 字节，上限为 {maximum:,.0f}",
            "max_entries": "压缩包声明了 {value:,.0f} 个条目，上限为 {maximum:,.0f}",
            "max_uncompressed_bytes": "各条目解压后共 {value:,.0f} 字节，上限为 {maximum:,.0f}",
            "max_total_ratio": "压缩包解压后为原大小的 {value:.0f} 倍，上限为 {maximum:.0f} 倍",
            "max_entry_ratio": "{entry} 解压后为压缩大小的 {value:.0f} 倍，上限为 {maximum:.0f} 倍",
            "max_manifest_bytes": "AndroidManifest.xml 为 {value:,.0f} 字节，上限为 {maximum:,.0f}",
            "max_dex_bytes": "{entry} 为 {value:,.0f} 字节，上限为 {maximum:,.0f}",
            "central_directory": "ZIP 中央目录声称有 {value:,.0f} 字节，超过了文件本身的大小",
        }[self.limit]
        return what.format(value=self.value, maximum=self.maximum, entry=self.entry)


class BuildContext:
    """One upload. Properties parse on first use and remember the result (or the failure)."""

    def __init__(self, path: str | os.PathLike[str], listing: Listing | None, limits: Limits,
                 history: History | None = None) -> None:
        self.path = Path(path)
        self.listing = listing
        self.history = history
        self.limits = limits
        self._child: tuple[int, int] | None = None
        self._froze = False  # prefetch froze the garbage collector's objects until the child is joined
        self._background_result: dict[str, Any] = {}

    # -- file -----------------------------------------------------------------------------------

    @cached_property
    def size(self) -> int:
        return self.path.stat().st_size

    def prefetch(self) -> None:
        """Verify the signatures and hash the file on the other core while the checks analyse the code.

        A forked child does it (inflating and hashing need no Python state but the file) and sends the
        report back through a pipe. Where forking is unsafe (other threads running) or impossible, nothing
        is started and the work happens in process when a check asks for it.
        """
        if self._child is not None or "signature" in self.__dict__ or not hasattr(os, "fork"):
            return
        if threading.active_count() > 1:
            return
        try:
            if self.directory is None or self.limit_violations():
                return  # not a ZIP, or a zip bomb: nothing to verify, or nothing that should be inflated
        except OSError:
            return  # the intake checks report an unreadable file; prefetching runs before them
        # No descriptor or process left: the checks do the work in process when they ask for it.
        try:
            read_fd, write_fd = os.pipe()
        except OSError:
            return
        # The child shares the parent's memory until either writes to it. A garbage collection walks (and
        # so writes to) every object, copying page after page in both processes: the parent freezes what it
        # has now until the join (unless someone else froze objects on purpose), the child never collects.
        froze = gc.get_freeze_count() == 0
        if froze:
            gc.freeze()
        try:
            pid = os.fork()
        except OSError:
            os.close(read_fd)
            os.close(write_fd)
            if froze:
                gc.unfreeze()
            return
        if pid == 0:  # the child: compute, send, exit without running any parent clean-up
            gc.disable()
            status = 0
            try:
                os.close(read_fd)
                payload = pickle.dumps((self._verify_signature(), self._hash_file()))
                with os.fdopen(write_fd, "wb") as out:
                    out.write(payload)
            except BaseException:  # noqa: BLE001 - the parent falls back to doing the work itself
                status = 1
            finally:
                os._exit(status)
        os.close(write_fd)
        self._child = (pid, read_fd)
        self._froze = froze

    def _joined(self, key: str) -> Any | None:
        """The child's result for ``key`` ("signature" or "sha256"), or None if there is none."""
        if self._child is not None:
            pid, read_fd = self._child
            self._child = None
            complete = False
            try:
                with os.fdopen(read_fd, "rb") as src:
                    payload = src.read()
                complete = True
            finally:  # even when a check's deadline interrupts the wait: no child left, no objects frozen
                if self._froze:
                    self._froze = False
                    gc.unfreeze()
                if not complete:
                    with contextlib.suppress(OSError):
                        os.kill(pid, signal.SIGKILL)
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(pid, 0)
            try:
                signature, sha256 = pickle.loads(payload) if payload else (None, None)
            except Exception:  # noqa: BLE001 - a truncated payload: recompute in process
                signature, sha256 = None, None
            self._background_result = {"signature": signature, "sha256": sha256}
        return self._background_result.get(key)

    def close(self) -> None:
        """Reap the prefetch child if nobody asked for its result (an analysis that stopped early)."""
        if self._child is not None:
            self._joined("sha256")

    @cached_property
    def sha256(self) -> str:
        return self._joined("sha256") or self._hash_file()

    def _hash_file(self) -> str:
        digest = hashlib.sha256()
        with self.path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()

    @cached_property
    def directory(self) -> ZipDirectory | None:
        return read_zip_directory(self.path, self.size)

    def limit_violations(self) -> list[LimitViolation]:
        """Measure the upload against the limits from the ZIP directory alone (nothing is decompressed)."""
        return list(self._violations)

    @cached_property
    def _violations(self) -> list[LimitViolation]:
        lim = self.limits
        out: list[LimitViolation] = []
        if self.size > lim.max_apk_bytes:
            return [LimitViolation("max_apk_bytes", self.size, lim.max_apk_bytes)]
        directory = self.directory
        if directory is None:
            return out  # not a ZIP at all: PKG-UNREADABLE says so
        if directory.entries > lim.max_entries:
            return [LimitViolation("max_entries", directory.entries, lim.max_entries)]
        if directory.cd_size > self.size:
            return [LimitViolation("central_directory", directory.cd_size, self.size)]
        try:
            infos = self.zip.infolist()
        except IntakeError:
            return out
        if len(infos) > lim.max_entries:
            return [LimitViolation("max_entries", len(infos), lim.max_entries)]
        total = sum(i.file_size for i in infos)
        if total > lim.max_uncompressed_bytes:
            out.append(LimitViolation("max_uncompressed_bytes", total, lim.max_uncompressed_bytes))
        compressed = max(1, sum(i.compress_size for i in infos))
        if total > lim.ratio_min_entry_bytes and total / compressed > lim.max_total_ratio:
            out.append(LimitViolation("max_total_ratio", total / compressed, lim.max_total_ratio))
        for info in infos:
            if info.file_size >= lim.ratio_min_entry_bytes:
                ratio = info.file_size / max(1, info.compress_size)
                if ratio > lim.max_entry_ratio:
                    out.append(LimitViolation("max_entry_ratio", ratio, lim.max_entry_ratio, info.filename))
            if info.filename == MANIFEST and info.file_size > lim.max_manifest_bytes:
                out.append(LimitViolation("max_manifest_bytes", info.file_size, lim.max_manifest_bytes, MANIFEST))
            if _DEX_NAME.match(info.filename) and info.file_size > lim.max_dex_bytes:
                out.append(LimitViolation("max_dex_bytes", info.file_size, lim.max_dex_bytes, info.filename))
        return out

    @cached_property
    def zip(self) -> zipfile.ZipFile:
        if self.directory is None:
            raise unreadable("The upload is not a ZIP archive (no end-of-central-directory record was found); "
                             "it may be truncated or not an APK at all.",
                             zh="上传的文件不是 ZIP 压缩包（找不到中央目录结束记录），可能已被截断，或根本不是 APK。")
        try:
            zf = zipfile.ZipFile(self.path)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, struct.error, NotImplementedError) as exc:
            raise unreadable(f"The upload is not a readable ZIP archive: {exc}.",
                             zh=f"上传的文件不是可读取的 ZIP 压缩包：{exc}。") from None
        seen: set[str] = set()
        for info in zf.infolist():
            name = info.filename
            if name in seen:
                zf.close()
                raise unreadable(f"The archive holds the entry {name} twice; Android refuses such APKs "
                                 "and different tools would read different files.", Evidence("file", name, name),
                                 zh=f"压缩包中 {name} 条目出现两次；Android 会拒绝此类 APK，"
                                    "不同工具也会读到不同的文件。")
            seen.add(name)
            parts = name.replace("\\", "/").split("/")
            if name.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]:
                zf.close()
                raise unreadable(f"The archive holds an entry whose name escapes it ({name!r}); build tools never "
                                 "write such names, unpacking tools may write outside their folder.",
                                 Evidence("file", name, name),
                                 zh=f"压缩包中有条目名称越出压缩包（{name!r}）；构建工具从不生成此类名称，解压工具可能因此写到目标目录之外。")
        overlap = _overlapping(zf.infolist(), self.directory.cd_offset if self.directory else self.size)
        if overlap:
            zf.close()
            first, second = overlap
            raise unreadable(f"The archive's entries {first} and {second} share their data (overlapping entries, "
                             "the trick behind zip bombs that need no nesting).", Evidence("file", second, second),
                             zh=f"压缩包的条目 {first} 与 {second} 共用数据（条目重叠，即无需嵌套的 ZIP 炸弹手法）。")
        return zf

    def entry_names(self) -> list[str]:
        return self.zip.namelist()

    def has_entry(self, name: str) -> bool:
        try:
            self.zip.getinfo(name)
        except KeyError:
            return False
        return True

    def read(self, name: str, max_bytes: int) -> bytes:
        """Decompress one entry, never more than ``max_bytes``; IntakeError if it is damaged."""
        try:
            info = self.zip.getinfo(name)
        except KeyError:
            raise unreadable(f"The APK has no {name}.", Evidence("file", name, name),
                             zh=f"APK 中没有 {name}。") from None
        if info.file_size > max_bytes:
            raise IntakeError("PKG-LIMITS", f"{name} is {info.file_size:,} bytes; the limit is {max_bytes:,}.",
                              (Evidence("file", name, name),),
                              zh=f"{name} 有 {info.file_size:,} 字节，超过 {max_bytes:,} 字节的上限。")
        try:
            with self.zip.open(info) as fh:
                data = fh.read(max_bytes + 1)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError,
                struct.error) as exc:
            raise unreadable(f"{name} cannot be decompressed: {exc}.", Evidence("file", name, name),
                             zh=f"{name} 无法解压：{exc}。") from None
        except MemoryError:
            raise  # the job hit its memory cap: the gate's failure, never "the APK is damaged"
        except Exception as exc:  # noqa: BLE001 - zlib.error and friends: the entry is damaged
            if "insufficient memory" in str(exc):  # zlib's Z_MEM_ERROR, not damage
                raise MemoryError(str(exc)) from None
            raise unreadable(f"{name} cannot be decompressed ({type(exc).__name__}: {exc}).",
                             Evidence("file", name, name),
                             zh=f"{name} 无法解压（{type(exc).__name__}: {exc}）。") from None
        if len(data) > max_bytes:
            raise IntakeError("PKG-LIMITS", f"{name} unpacks to more than {max_bytes:,} bytes.",
                              (Evidence("file", name, name),), zh=f"{name} 解压后超过 {max_bytes:,} 字节。")
        return data

    # -- Android --------------------------------------------------------------------------------

    @cached_property
    def manifest(self) -> Manifest:
        if not self.has_entry(MANIFEST):
            raise unreadable("The APK has no AndroidManifest.xml, so it is not an installable Android app "
                             "(it may be a patch, a plugin payload or a plain ZIP).",
                             zh="APK 中没有 AndroidManifest.xml，因此不是可安装的 Android 应用"
                                "（可能是补丁、插件载荷或普通 ZIP）。")
        return parse_manifest(self.read(MANIFEST, self.limits.max_manifest_bytes))

    @cached_property
    def dex_entries(self) -> list[str]:
        """Root ``classes*.dex`` entries in load order (classes.dex, classes2.dex, ...)."""
        found = []
        for name in self.entry_names():
            m = _DEX_NAME.match(name)
            if m:
                found.append((int(m.group(1) or 1), name))
        return [name for _, name in sorted(found)]

    @cached_property
    def dex_headers(self) -> list[DexHeader]:
        headers = []
        for name in self.dex_entries:
            info = self.zip.getinfo(name)
            if info.file_size > self.limits.max_dex_bytes:
                raise IntakeError("PKG-LIMITS", f"{name} is {info.file_size:,} bytes; the limit is "
                                  f"{self.limits.max_dex_bytes:,}.", (Evidence("file", name, name),),
                                  zh=f"{name} 有 {info.file_size:,} 字节，"
                                     f"超过 {self.limits.max_dex_bytes:,} 字节的上限。")
            try:
                with self.zip.open(info) as fh:
                    head = fh.read(_DEX_HEADER_SIZE)
            except MemoryError:
                raise  # the job hit its memory cap: the gate's failure, never "the APK is damaged"
            except Exception as exc:  # noqa: BLE001 - damaged entry
                raise unreadable(f"{name} cannot be decompressed ({type(exc).__name__}: {exc}).",
                                 Evidence("file", name, name),
                                 zh=f"{name} 无法解压（{type(exc).__name__}: {exc}）。") from None
            headers.append(check_dex_header(name, head, info.file_size))
        return headers

    @cached_property
    def dex_files(self) -> list[DexFile]:
        """Every root classes*.dex, inflated once (within the dex size limit) and checked to its class data.

        With several dex files, two threads inflate and index them (zlib, the CRC and the vectorised class
        data walk release the GIL), while the signature child has usually finished with the other core. The
        damaged file reported is the first in load order, as when they are read one by one.
        """
        import gate.apk.dex  # noqa: F401 - imported here, not first in a pool thread

        entries = [header.entry for header in self.dex_headers]
        if len(entries) < 2:
            return [self._load_dex(entry) for entry in entries]
        from concurrent.futures import ThreadPoolExecutor

        pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="gate-dex")
        try:
            files = list(pool.map(self._load_dex, entries))
        except BaseException:  # a damaged dex, a deadline, the memory cap: drop what is still queued
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown()
        return files

    def _load_dex(self, entry: str) -> DexFile:
        from gate.apk.dex import DexError, DexFile

        d = DexFile(entry, self.read(entry, self.limits.max_dex_bytes))
        try:
            d.code  # noqa: B018 - walks every class's data: a damaged dex fails here, at intake
        except DexError as exc:
            raise unreadable(f"{entry} is damaged: {exc}.", Evidence("file", entry, entry),
                             zh=f"{entry} 已损坏：{exc}。") from None
        return d

    @cached_property
    def code(self) -> Code:
        from gate.core.code import Code
        from gate.core.sdks import catalogue

        return Code(self.dex_files, catalogue(), self.manifest.package)

    @cached_property
    def sensitive_calls(self) -> tuple[list[CallSite], list[CallSite]]:
        """(call sites of sensitive APIs in SDK or app code, those only inside open-source libraries)."""
        from gate.core.sdks import sensitive_apis

        return self.code.calls(sensitive_apis())

    @cached_property
    def sdk_inventory(self) -> list[Detected]:
        from gate.core.sdks import catalogue, detect

        code = self.code
        return detect(catalogue(), code.classes_with_prefix, lambda d: d in code.classes, self.entry_names(),
                      [c.name for c in self.manifest.components], self.manifest.package)

    @cached_property
    def signature(self) -> SignatureReport:
        report: SignatureReport | None = self._joined("signature")
        return report if report is not None else self._verify_signature()

    def _verify_signature(self) -> SignatureReport:
        from gate.apk.apksig import verify_apk

        # Reuse the dex bytes the intake already inflated (and CRC-checked) for the v1 entry digests, when the
        # work runs here after intake; the prefetch child, forked before intake, inflates them itself.
        dex = self.__dict__.get("dex_files") or []
        return verify_apk(self.path, {d.name: d.data for d in dex})

    @cached_property
    def resources(self) -> ResourceTable | None:
        """The resource table (resources.arsc), or None when the APK has no readable one."""
        if not self.has_entry("resources.arsc"):
            return None
        from gate.apk.axml import ResourceTable

        try:
            return ResourceTable(self.read("resources.arsc", self.limits.max_manifest_bytes * 16))
        except IntakeError:
            raise
        except MemoryError:
            raise  # the job hit its memory cap: the gate's failure, never "the APK is damaged"
        except Exception:  # noqa: BLE001 - an unreadable resource table only hides resources
            return None

    def resource_xml(self, reference: str) -> tuple[str, Any] | None:
        """Resolve ``@7F0E0001`` (or ``@xml/name``) to a compiled XML file of the APK and parse it."""
        from gate.apk.axml import AxmlError, parse

        path = None
        ref = reference.strip().lstrip("@")
        if ref.startswith("xml/"):
            candidate = f"res/{ref}.xml"
            path = candidate if self.has_entry(candidate) else None
        else:
            try:
                res_id = int(ref, 16)
            except ValueError:
                return None
            arsc = self.resources
            if arsc is None:
                return None
            path = next((value for value in arsc.file_paths(res_id)
                         if value.endswith(".xml") and self.has_entry(value)), None)
        if path is None:
            return None
        try:
            root = parse(self.read(path, self.limits.max_manifest_bytes))
        except AxmlError:
            return None
        except IntakeError:
            raise
        except MemoryError:
            raise  # the job hit its memory cap: the gate's failure, never "the APK is damaged"
        except Exception:  # noqa: BLE001 - a broken resource file is treated as absent
            return None
        return (path, root) if root is not None else None

    # -- peeks for the verdict's app block (never raise) ----------------------------------------

    def peek_manifest(self) -> Manifest | None:
        if "manifest" not in self.__dict__:
            return None
        return self.manifest

    def peek_signature(self) -> SignatureReport | None:
        return self.__dict__.get("signature")

    def iter_children(self, element: Any) -> Iterator[tuple[str, dict[str, str], Any]]:
        """(local tag, attributes, element) of an XML element's children."""
        for child in element:
            yield _local(child.tag), _attrs(child), child
