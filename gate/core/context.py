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
from gate.core.model import Finding
from gate.core.policy import Policy
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
    from gate.core.sdks import Detected

__all__ = ["BuildContext", "IntakeError", "LimitViolation", "Manifest", "parse_manifest", "unreadable"]


class BuildContext:
    """One upload. Properties parse on first use and remember the result (or the failure)."""

    def __init__(self, path: str | os.PathLike[str], listing: Listing | None, policy: Policy,
                 history: History | None = None) -> None:
        self.apk = ApkReader(path, policy.limits)
        self.path = self.apk.path
        self.listing = listing
        self.policy = policy
        self.history = history
        # Findings of the analysis checks, handed to the "post" checks (PLT-RECURRENCE) by the runner.
        self.prior_findings: list[Finding] = []
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
