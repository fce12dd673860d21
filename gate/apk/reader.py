"""The APK reader: one uploaded file, read lazily and at most once, within the limits.

Before anything is parsed, ``limit_violations`` measures the upload from its ZIP directory alone. The
archive is accepted or refused by ``gate.apk.archive`` (the same answers the signature verifier gives),
then entries are inflated with ``zipfile``, each read bounded. Parsing failures surface as ``IntakeError``
with a message meant for a person, in English and Chinese. The manifest is parsed by ``gate.apk.manifest``,
binary XML and the resource table by ``gate.apk.axml``, dex files by ``gate.apk.dex``; signatures are
verified by ``gate.apk.apksig``, on the other core when ``prefetch`` could fork (``gate.apk.prefetch``).
"""

from __future__ import annotations

import hashlib
import os
import re
import struct
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gate.apk.archive import EntrySpan, ZipFormatError, ZipSections, check_entries, check_sections, find_sections
from gate.apk.errors import IntakeError, unreadable
from gate.apk.manifest import MANIFEST, Manifest, attributes, local_name, parse_manifest
from gate.apk.prefetch import Prefetcher
from gate.core.model import Evidence
from gate.defaults import Limits

if TYPE_CHECKING:
    from gate.apk.axml import ResourceTable
    from gate.apk.dex import DexFile
    from gate.apk.signature_report import SignatureReport

DEX_NAME = re.compile(r"^classes(\d*)\.dex$")


@dataclass(frozen=True)
class DexHeader:
    entry: str
    version: str
    file_size: int
    string_ids: int
    type_ids: int
    method_ids: int
    class_defs: int


DEX_HEADER_SIZE = 0x70


def check_dex_header(entry: str, head: bytes, actual_size: int) -> DexHeader:
    """Validate a dex header against the size the ZIP declares; IntakeError (PKG-UNREADABLE) if broken."""
    where = Evidence("file", entry, entry)
    if len(head) < DEX_HEADER_SIZE:
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
    if header_size != DEX_HEADER_SIZE:
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
        if count and (offset < DEX_HEADER_SIZE or offset + count * item > file_size):
            raise unreadable(f"{entry}: the {name} table ({count} items at offset {offset}) lies outside the "
                             f"file ({file_size} bytes).", where,
                             zh=f"{entry}：{name} 表（{count} 项，偏移 {offset}）超出文件范围（{file_size} 字节）。")
    if not DEX_HEADER_SIZE <= map_off < file_size:
        raise unreadable(f"{entry}: the map offset {map_off} lies outside the file.", where,
                         zh=f"{entry}：map 偏移 {map_off} 超出文件范围。")
    return DexHeader(entry=entry, version=head[4:7].decode(), file_size=file_size, string_ids=string_ids_size,
                     type_ids=type_ids_size, method_ids=method_ids_size, class_defs=class_defs_size)



# limit -> (English, Chinese) description; fields: value, maximum, entry
_LIMIT_TEXTS = {
    "max_apk_bytes": ("the upload is {value:,.0f} bytes; the limit is {maximum:,.0f}",
                      "上传文件为 {value:,.0f} 字节，上限为 {maximum:,.0f}"),
    "max_entries": ("the archive declares {value:,.0f} entries; the limit is {maximum:,.0f}",
                    "压缩包声明了 {value:,.0f} 个条目，上限为 {maximum:,.0f}"),
    "max_uncompressed_bytes": ("the entries unpack to {value:,.0f} bytes; the limit is {maximum:,.0f}",
                               "各条目解压后共 {value:,.0f} 字节，上限为 {maximum:,.0f}"),
    "max_total_ratio": ("the archive unpacks to {value:.0f} times its size; the limit is {maximum:.0f}",
                        "压缩包解压后为原大小的 {value:.0f} 倍，上限为 {maximum:.0f} 倍"),
    "max_entry_ratio": ("{entry} unpacks to {value:.0f} times its compressed size; the limit is {maximum:.0f}",
                        "{entry} 解压后为压缩大小的 {value:.0f} 倍，上限为 {maximum:.0f} 倍"),
    "max_manifest_bytes": ("AndroidManifest.xml is {value:,.0f} bytes; the limit is {maximum:,.0f}",
                           "AndroidManifest.xml 为 {value:,.0f} 字节，上限为 {maximum:,.0f}"),
    "max_dex_bytes": ("{entry} is {value:,.0f} bytes; the limit is {maximum:,.0f}",
                      "{entry} 为 {value:,.0f} 字节，上限为 {maximum:,.0f}"),
    "central_directory": ("the ZIP directory claims {value:,.0f} bytes, more than the file holds",
                          "ZIP 中央目录声称有 {value:,.0f} 字节，超过了文件本身的大小"),
}


@dataclass(frozen=True)
class LimitViolation:
    """One limit the upload breaks, measured from the ZIP directory (``limit`` names a ``Limits`` field)."""

    limit: str
    value: float
    maximum: float
    entry: str | None = None

    def describe(self) -> str:
        return _LIMIT_TEXTS[self.limit][0].format(value=self.value, maximum=self.maximum, entry=self.entry)

    def describe_zh(self) -> str:
        return _LIMIT_TEXTS[self.limit][1].format(value=self.value, maximum=self.maximum, entry=self.entry)


class ApkReader:
    """One uploaded APK. Properties read on first use and remember the result (or the failure)."""

    def __init__(self, path: str | os.PathLike[str], limits: Limits) -> None:
        self.path = Path(path)
        self.limits = limits
        self._prefetcher = Prefetcher()

    def prefetch(self) -> None:
        """Verify the signatures and hash the file on the other core while the checks analyse the code.

        Nothing is started for a file that is not a ZIP or breaks the limits (nothing to verify, or nothing
        that should be inflated), nor where forking is unsafe: the work then happens here when asked for.
        """
        if self._prefetcher.running or "signature" in self.__dict__ or not Prefetcher.can_fork():
            return
        try:
            if self.directory is None or self.limit_violations():
                return
        except OSError:
            return  # the intake checks report an unreadable file; prefetching runs before them
        self._prefetcher.start(lambda: (self.verify_signature(), self.hash_file()))

    @property
    def prefetching(self) -> bool:
        """A prefetch child is running and nobody has asked for its answer yet."""
        return self._prefetcher.running

    def prefetched(self, key: str) -> Any | None:
        """The prefetch child's answer for ``key`` ("signature" or "sha256"), joining it; None if none."""
        return self._prefetcher.result(key)

    def close(self) -> None:
        """Reap the prefetch child if nobody asked for its result (an analysis that stopped early)."""
        self._prefetcher.close()

    @cached_property
    def size(self) -> int:
        return self.path.stat().st_size

    @cached_property
    def sha256(self) -> str:
        return self._prefetcher.result("sha256") or self.hash_file()

    def hash_file(self) -> str:
        digest = hashlib.sha256()
        with self.path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()

    @cached_property
    def directory(self) -> ZipSections | None:
        """What the ZIP's end record declares (as ``gate.apk.archive`` finds it); None when it has none."""
        with self.path.open("rb") as fh:
            return find_sections(fh, self.size)

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
            if DEX_NAME.match(info.filename) and info.file_size > lim.max_dex_bytes:
                out.append(LimitViolation("max_dex_bytes", info.file_size, lim.max_dex_bytes, info.filename))
        return out

    @cached_property
    def zip(self) -> zipfile.ZipFile:
        if self.directory is None:
            raise unreadable("The upload is not a ZIP archive (no end-of-central-directory record was found); "
                             "it may be truncated or not an APK at all.",
                             zh="上传的文件不是 ZIP 压缩包（找不到中央目录结束记录），可能已被截断，或根本不是 APK。")
        try:
            check_sections(self.directory)
        except ZipFormatError as exc:
            raise unreadable(exc.message, zh=exc.message_zh) from None
        try:
            zf = zipfile.ZipFile(self.path)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, struct.error, NotImplementedError) as exc:
            raise unreadable(f"The upload is not a readable ZIP archive: {exc}.",
                             zh=f"上传的文件不是可读取的 ZIP 压缩包：{exc}。") from None
        try:
            check_entries((EntrySpan(info.filename, info.header_offset,
                                     len(info.orig_filename.encode("utf-8", "surrogateescape")), info.compress_size)
                           for info in zf.infolist()), self.directory.cd_offset)
        except ZipFormatError as exc:
            zf.close()
            where = (Evidence("file", exc.entry, exc.entry),) if exc.entry else ()
            raise IntakeError("PKG-UNREADABLE", exc.message, where, zh=exc.message_zh) from None
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
            m = DEX_NAME.match(name)
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
                    head = fh.read(DEX_HEADER_SIZE)
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
    def signature(self) -> SignatureReport:
        report: SignatureReport | None = self._prefetcher.result("signature")
        return report if report is not None else self.verify_signature()

    def verify_signature(self) -> SignatureReport:
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

    def peek_manifest(self) -> Manifest | None:
        if "manifest" not in self.__dict__:
            return None
        return self.manifest

    def peek_signature(self) -> SignatureReport | None:
        return self.__dict__.get("signature")

    def iter_children(self, element: Any) -> Iterator[tuple[str, dict[str, str], Any]]:
        """(local tag, attributes, element) of an XML element's children."""
        for child in element:
            yield local_name(child.tag), attributes(child), child
