"""PKG-LIMITS: bombs and floods are refused from the ZIP directory, before anything is parsed."""

from __future__ import annotations

import dataclasses
import io
import os
import time
import zipfile

from gate.core import policy
from gate.core.scan import scan
from tests.conftest import fixture_apk, listing, rule_ids
from tests.zipcraft import copy_with, set_eocd_entry_count

CN = policy.load("cn-default")


def _scan(path, **limits):  # type: ignore[no-untyped-def]
    pol = dataclasses.replace(CN, limits=dataclasses.replace(CN.limits, **limits)) if limits else CN
    return scan(path, pol, listing("complete"))


def _only_limits(verdict) -> str:  # type: ignore[no-untyped-def]
    assert [f.rule_id for f in verdict.findings] == ["PKG-LIMITS"], [f.rule_id for f in verdict.findings]
    assert verdict.verdict == "block"
    return verdict.findings[0].message


def test_a_high_ratio_entry_is_a_zip_bomb(tmp_path) -> None:  # type: ignore[no-untyped-def]
    bomb = copy_with(fixture_apk("clean"), tmp_path / "bomb.apk", {"assets/zeros.bin": bytes(64 * 1024 * 1024)})
    assert bomb.stat().st_size < 200_000
    started = time.perf_counter()
    message = _only_limits(_scan(bomb))
    assert time.perf_counter() - started < 5  # measured, not decompressed
    assert "assets/zeros.bin unpacks to" in message and "times its compressed size" in message


def test_an_archive_claiming_too_many_entries_is_refused_before_reading_them(tmp_path) -> None:  # type: ignore[no-untyped-def]
    flood = copy_with(fixture_apk("clean"), tmp_path / "flood.apk", {})
    set_eocd_entry_count(flood, 65_000)
    assert "declares 65,000 entries" in _only_limits(_scan(flood))


def test_many_real_entries_over_a_store_limit(tmp_path) -> None:  # type: ignore[no-untyped-def]
    extra = {f"assets/f{i}.txt": b"x" for i in range(300)}
    many = copy_with(fixture_apk("clean"), tmp_path / "many.apk", extra)
    assert "entries; the limit is 200" in _only_limits(_scan(many, max_entries=200))


def test_total_unpacked_size_and_upload_size(tmp_path) -> None:  # type: ignore[no-untyped-def]
    blob = copy_with(fixture_apk("clean"), tmp_path / "blob.apk", {"assets/r.bin": os.urandom(300_000)})
    assert "unpack to" in _only_limits(_scan(blob, max_uncompressed_bytes=200_000))
    assert "the upload is" in _only_limits(_scan(blob, max_apk_bytes=100_000))


def test_a_huge_manifest_is_refused_unparsed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with zipfile.ZipFile(fixture_apk("clean")) as zf:
        manifest = zf.read("AndroidManifest.xml")
    big = copy_with(fixture_apk("clean"), tmp_path / "big.apk", {},
                    replace={"AndroidManifest.xml": manifest + os.urandom(5 * 1024 * 1024)})
    assert "AndroidManifest.xml is" in _only_limits(_scan(big))


def test_ordinary_apps_are_within_limits() -> None:
    assert "PKG-LIMITS" not in rule_ids(_scan(fixture_apk("clean")))


def _zip_of(entries: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return buf.getvalue()


def test_a_nested_zip_bomb_in_the_assets_is_never_unpacked(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """assets/bomb.zip: 16 archives of 16 entries of 8 MiB of zeros each (2 GiB unpacked), a few hundred KB
    packed. The outer entry passes the ratio limit (it is stored); the gate reads only the inner archive's
    directory, never its entries, so the scan ends normally with a verdict and no check fails."""
    level1 = _zip_of({f"z{i}.bin": bytes(8 << 20) for i in range(16)})
    bomb = _zip_of({f"l{i}.zip": level1 for i in range(16)}, zipfile.ZIP_STORED)
    path = tmp_path / "nested-bomb.apk"
    with zipfile.ZipFile(fixture_apk("clean")) as src, zipfile.ZipFile(path, "w") as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info), compress_type=info.compress_type)
        dst.writestr("assets/bomb.zip", bomb, compress_type=zipfile.ZIP_STORED)
    verdict = scan(path, CN, listing("complete"))
    ids = rule_ids(verdict)
    assert "GATE-CHECK-FAILED" not in ids and "PKG-LIMITS" not in ids and "PKG-UNREADABLE" not in ids
    # the payload scan looked inside (a directory listing) and found no code there: no PKG-DYNAMIC-CODE
    assert "PKG-DYNAMIC-CODE" not in ids
