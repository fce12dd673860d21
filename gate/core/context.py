"""The build context: one upload (the APK and its listing) and its history, as the checks see it.

The APK itself is read by ``gate.apk.reader.ApkReader`` (file, hashes, the ZIP through ``gate.apk.archive``,
limits, bounded entry reads, manifest, dex, resources, signatures, prefetched on the other core); this
class composes it with the listing and the history and adds the lazily computed code analysis (the code
index, the sensitive call sites, the SDK inventory). Checks read everything through ``ctx.*``.
"""

from __future__ import annotations

import os
from functools import cached_property
from typing import TYPE_CHECKING

from gate.apk.errors import IntakeError, unreadable
from gate.apk.manifest import Manifest, parse_manifest
from gate.apk.reader import ApkReader, DexHeader, LimitViolation
from gate.defaults import Limits

if TYPE_CHECKING:
    import zipfile

    from gate.apk.archive import ZipSections
    from gate.apk.axml import ResourceTable
    from gate.apk.dex import DexFile
    from gate.apk.signature_report import SignatureReport
    from gate.core.code import CallSite, Code
    from gate.core.history import History
    from gate.core.listing import Listing
    from gate.core.native import NativeReport
    from gate.core.payloads import Payloads
    from gate.core.sdks import Detected
    from gate.defaults import Limits

__all__ = ["BuildContext", "IntakeError", "LimitViolation", "Manifest", "parse_manifest", "unreadable"]


class BuildContext:
    """One upload. Properties parse on first use and remember the result (or the failure)."""

    def __init__(self, path: str | os.PathLike[str], listing: Listing | None, limits: Limits,
                 history: History | None = None) -> None:
        self.apk = ApkReader(path, limits)
        self.path = self.apk.path
        self.listing = listing
        self.history = history
        # the reader's methods, bound once: checks call them often
        self.read = self.apk.read
        self.entry_names = self.apk.entry_names
        self.has_entry = self.apk.has_entry
        self.limit_violations = self.apk.limit_violations
        self.resource_xml = self.apk.resource_xml
        self.iter_children = self.apk.iter_children
        self.peek_manifest = self.apk.peek_manifest
        self.peek_signature = self.apk.peek_signature
        self.prefetch = self.apk.prefetch
        self.close = self.apk.close

    # -- the APK, read by the reader ------------------------------------------------------------

    @property
    def limits(self) -> Limits:
        return self.apk.limits

    @limits.setter
    def limits(self, value: Limits) -> None:
        self.apk.limits = value

    @property
    def size(self) -> int:
        return self.apk.size

    @property
    def sha256(self) -> str:
        return self.apk.sha256

    @property
    def directory(self) -> ZipSections | None:
        return self.apk.directory

    @property
    def zip(self) -> zipfile.ZipFile:
        return self.apk.zip

    @property
    def manifest(self) -> Manifest:
        return self.apk.manifest

    @property
    def dex_entries(self) -> list[str]:
        return self.apk.dex_entries

    @property
    def dex_headers(self) -> list[DexHeader]:
        return self.apk.dex_headers

    @property
    def dex_files(self) -> list[DexFile]:
        return self.apk.dex_files

    @property
    def signature(self) -> SignatureReport:
        return self.apk.signature

    @property
    def resources(self) -> ResourceTable | None:
        return self.apk.resources

    # -- code analysis, computed once on first use ----------------------------------------------

    @cached_property
    def code(self) -> Code:
        """The code of every dex, with the renamed code of detected SDKs attributed to them (their inventory is
        computed here too: which SDKs are present decides whose renamed code it is)."""
        return self._code_and_inventory[0]

    @cached_property
    def _code_and_inventory(self) -> tuple[Code, list[Detected]]:
        from gate.core import fingerprints
        from gate.core.code import Code
        from gate.core.sdks import catalogue, detect

        cat = catalogue()
        code = Code(self.dex_files + self.payloads.dexes, cat, self.manifest.package, self.app_roots)
        anchors = fingerprints.find(code, cat)
        found = detect(cat, code.classes_with_prefix, lambda d: d in code.classes, self.entry_names(),
                       [c.name for c in self.manifest.components], self.manifest.package, self.app_roots,
                       meta_keys={k for k, _ in self.manifest.meta_data}, anchors=anchors)
        code.renamed_packages, code.renamed_classes = fingerprints.renamed_owners(anchors, [d.sdk.id for d in found])
        return code, fingerprints.with_renamed(found, code)

    @cached_property
    def payloads(self) -> Payloads:
        """Dex, jar and APK payloads hidden among the APK's other entries, recognised by content and opened
        within the limits; their dex files are analysed with the root ones (``gate.core.payloads``)."""
        from gate.core.payloads import find

        return find(self)

    @cached_property
    def app_roots(self) -> tuple[str, ...]:
        """Packages of the app's own code besides its package name: the Application class's and the launcher
        activity's packages, and each obfuscated one-letter root (``a``, ``b``) that holds one of its manifest
        components. A package the SDK catalogue owns (a packer's stub Application, a vendor's component) is
        never one."""
        from gate.core.sdks import catalogue

        cat = catalogue()
        package = self.manifest.package
        roots: list[str] = []

        def full(name: str) -> str:
            return package + name if name.startswith(".") else name if "." in name else f"{package}.{name}"

        app_class = self.manifest.application.get("name")
        if app_class:
            cls = full(app_class)
            pkg = cls.rsplit(".", 1)[0] if "." in cls else ""
            if pkg and pkg.count(".") >= 1 and cat.owner("L" + cls.replace(".", "/") + ";") is None:
                roots.append(pkg)
        for comp in self.manifest.components:
            if comp.is_launcher and "." in full(comp.name):  # the app's main screen is the app's own
                cls = full(comp.name)
                pkg = cls.rsplit(".", 1)[0]
                if pkg.count(".") >= 1 and cat.owner("L" + cls.replace(".", "/") + ";") is None and pkg not in roots:
                    roots.append(pkg)
            first = full(comp.name).split(".", 1)[0]
            if len(first) == 1 and "." in full(comp.name) and first not in roots:
                roots.append(first)
        return tuple(roots)

    @cached_property
    def sensitive_calls(self) -> tuple[list[CallSite], list[CallSite]]:
        """(call sites of sensitive APIs in SDK or app code, those only inside open-source libraries)."""
        from gate.core.sdks import sensitive_apis

        return self.code.calls(sensitive_apis())

    @property
    def sdk_inventory(self) -> list[Detected]:
        return self._code_and_inventory[1]

    @cached_property
    def native(self) -> NativeReport:
        """Identifying reads of the native libraries (one ABI per library name); ELF is parsed only when the
        APK has ``lib/<abi>/*.so`` entries."""
        from gate.core.native import NativeReport, scan

        if not any(name.startswith("lib/") and name.endswith(".so") for name in self.entry_names()):
            return NativeReport((), (), ())
        return scan(self)
