"""Pure-Python verification of Android APK signatures (no Java).

Covers APK Signature Scheme v1 (JAR signing), v2, v3 and the v3.1 block, following the
semantics of AOSP's ``apksig`` (the library behind ``apksigner verify``), with three
deliberate differences that come from not knowing the app's ``minSdkVersion``:

* Every present scheme is verified on its own. ``apksigner`` skips v1 when a v2/v3
  signature exists and minSdk >= 24, and skips v2 when v3 exists and minSdk >= 28.
* No per-API-level algorithm support checks (e.g. "SHA-256withRSA in a JAR signature is
  not supported on API 15-17"): signatures are judged cryptographically, digests are taken
  with the strongest algorithm named (as Android 4.3+ does).
* The v3 SDK-range coverage check needs minSdk; the ranges are reported instead.

Hostile input never raises: every structural problem becomes a human-readable entry in
``problems``. Every read is bounds-checked against the file size, every loop is bounded by
the bytes it consumes, and file contents are streamed in 1 MiB pieces.

This module runs the schemes and merges their results; the work is done by ``gate.apk.archive`` (the ZIP
sections and entries, read as the intake reads them), ``gate.apk.signature.certificates`` (X.509 and names),
``gate.apk.signature.v1`` (JAR signing) and ``gate.apk.signature.blocks`` (v2, v3 and v3.1). The report types
are in ``gate.apk.signature_report``, free of cryptography imports.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from collections.abc import Callable, Mapping

from gate.apk.archive import Source, ZipFormatError, central_directory
from gate.apk.signature.blocks import BLOCK_IDS, BlockContext, ContentDigester, find_signing_block, verify_block_scheme
from gate.apk.signature.v1 import is_jar_signature_file, verify_v1
from gate.apk.signature_report import SchemeResult, SignatureReport, SignerCert

__all__ = ["SchemeResult", "SignatureReport", "SignerCert", "verify_apk"]


def verify_apk(path: str | os.PathLike[str], inflated: Mapping[str, bytes] | None = None) -> SignatureReport:
    """Verify every signature scheme present in the APK at ``path``. Never raises.

    ``inflated`` may give entries the caller has already inflated (name → content, as read with a CRC
    check), so v1 digests of large entries such as the dex files are not inflated a second time.
    """
    try:
        with open(path, "rb") as handle:
            return _verify(Source(handle, os.fstat(handle.fileno()).st_size, inflated))
    except OSError as exc:
        return SignatureReport((), (f"cannot read APK: {exc.strerror or exc}",))
    except Exception as exc:  # last line of defence: hostile input must not raise
        return SignatureReport((), (f"internal error while verifying signatures: {type(exc).__name__}",))


def _verify(src: Source) -> SignatureReport:
    """Verify every present scheme; structural failures become report problems."""
    problems: list[str] = []
    try:
        zs = src.sections()
    except ZipFormatError as exc:
        return SignatureReport((), (str(exc),))
    try:
        block = find_signing_block(src, zs, problems)
    except ZipFormatError as exc:
        problems.append(f"unreadable APK Signing Block: {exc}")
        block = None
    block_ids = frozenset(block.values) if block else frozenset()
    results: list[SchemeResult] = []
    try:
        entries = central_directory(src, zs)
    except ZipFormatError as exc:
        problems.append(str(exc))
        entries = []
    block_results: list[SchemeResult] = []
    if block is not None:
        digester = ContentDigester(src, zs, block.offset)
        for scheme in ("v2", "v3", "v3.1"):
            value = block.values.get(BLOCK_IDS[scheme])
            if value is not None:
                ctx = BlockContext(scheme, block_ids, digester)
                block_results.append(_guarded(scheme, functools.partial(verify_block_scheme, value, ctx)))
    if any(is_jar_signature_file(entry.name) for entry in entries):
        proven = any(r.verified for r in block_results if r.scheme in ("v2", "v3"))
        results.append(_guarded("v1", functools.partial(verify_v1, src, zs, entries, block_ids, proven)))
    results += block_results
    return SignatureReport(tuple(_check_v1_v2_signers(results)), tuple(problems))


def _guarded(scheme: str, verify: Callable[[], SchemeResult]) -> SchemeResult:
    """Run one scheme's verification, turning any structural failure into a problem."""
    try:
        return verify()
    except ZipFormatError as exc:
        return SchemeResult(scheme, False, (str(exc),), ())
    except Exception as exc:  # keep the other schemes' results on unexpected failure
        return SchemeResult(scheme, False, (f"internal error while verifying: {type(exc).__name__}",), ())


def _check_v1_v2_signers(results: list[SchemeResult]) -> list[SchemeResult]:
    """As apksig: when v1 and v2 both verify, they must be made by the same signers.

    A mismatch fails v1 (Android before 7.0 would see a different app identity).
    """
    verified = {result.scheme: result for result in results if result.verified}
    if "v1" not in verified or "v2" not in verified:
        return results
    v1_certs = {cert.sha256 for cert in verified["v1"].certificates}
    if v1_certs == {cert.sha256 for cert in verified["v2"].certificates}:
        return results
    mismatch = "v1 signer certificates differ from the v2 signer certificates"
    return [
        dataclasses.replace(result, verified=False, problems=(*result.problems, mismatch))
        if result.scheme == "v1"
        else result
        for result in results
    ]
