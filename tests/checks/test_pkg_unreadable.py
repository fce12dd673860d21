"""PKG-UNREADABLE: anything that is not a readable APK is blocked with a message a person understands."""

from __future__ import annotations

import os
import struct
import threading
import time
import zipfile

import pytest

from gate.core import policy
from gate.core.context import BuildContext
from gate.core.scan import scan
from tests.conftest import corpus_file, fixture_apk, listing, rule_ids, scan_apk, scan_fixture
from tests.zipcraft import copy_with, shrink_declared_size, with_duplicate

CN = policy.load("cn-default")


def _message(verdict) -> str:  # type: ignore[no-untyped-def]
    assert [f.rule_id for f in verdict.findings] == ["PKG-UNREADABLE"], [f.message for f in verdict.findings]
    assert verdict.verdict == "block"
    return verdict.findings[0].message


@pytest.mark.parametrize(
    ("fixture", "words"),
    [("bad-dex-magic", "does not start with the dex magic"), ("bad-dex-size", "declares 5024 bytes in its header")],
)
def test_broken_dex_headers(fixture: str, words: str) -> None:
    assert words in _message(scan_fixture(fixture))


@pytest.mark.parametrize(
    ("content", "words"),
    [(b"", "not a ZIP archive"), (os.urandom(4096), "not a ZIP archive"),
     (b"PK\x05\x06" + bytes(18), "no AndroidManifest.xml")],
)
def test_things_that_are_not_apks(tmp_path, content: bytes, words: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "upload.apk"
    path.write_bytes(content)
    assert words in _message(scan(path, CN, listing("complete")))


def test_duplicate_entries_are_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    dup = with_duplicate(fixture_apk("clean"), tmp_path / "dup.apk", "classes.dex", b"dex\n035\x00")
    assert "holds the entry classes.dex twice" in _message(scan(dup, CN, listing("complete")))


def test_a_manifest_whose_declared_size_lies(tmp_path) -> None:  # type: ignore[no-untyped-def]
    liar = copy_with(fixture_apk("clean"), tmp_path / "liar.apk", {})
    shrink_declared_size(liar, "AndroidManifest.xml", 100)
    assert "AndroidManifest.xml" in _message(scan(liar, CN, listing("complete")))


def test_a_dex_that_is_random_bytes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    junk = copy_with(fixture_apk("clean"), tmp_path / "junk.apk", {}, replace={"classes.dex": os.urandom(5000)})
    assert "classes.dex" in _message(scan(junk, CN, listing("complete")))
    with zipfile.ZipFile(junk) as zf:
        assert zf.testzip() is None


def _with_class_data_outside(dex: bytes, beyond: int) -> bytes:
    """The dex with its first class's class_data_off pointing ``beyond`` bytes past the end of the file."""
    damaged = bytearray(dex)
    (classes_off,) = struct.unpack_from("<I", dex, 0x64)
    struct.pack_into("<I", damaged, classes_off + 24, len(dex) + beyond)
    return bytes(damaged)


def test_the_first_damaged_dex_in_load_order_is_named(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # several dex files are inflated by two threads: the report must still be the one a reading in load
    # order gives, and no thread may outlive the scan
    with zipfile.ZipFile(fixture_apk("clean")) as zf:
        dex = zf.read("classes.dex")
    extra = {f"classes{i}.dex": dex for i in range(2, 7)}
    extra["classes3.dex"] = _with_class_data_outside(dex, 100)
    extra["classes5.dex"] = _with_class_data_outside(dex, 7)
    multi = copy_with(fixture_apk("clean"), tmp_path / "multi.apk", extra)
    before = threading.active_count()
    message = _message(scan(multi, CN, listing("complete")))
    assert message.startswith("classes3.dex is damaged") and "class data outside the file" in message
    deadline = time.monotonic() + 5
    while threading.active_count() > before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert threading.active_count() == before


def test_several_intact_dex_files_are_all_read_in_order(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with zipfile.ZipFile(fixture_apk("clean")) as zf:
        dex = zf.read("classes.dex")
    multi = copy_with(fixture_apk("clean"), tmp_path / "multi.apk", {f"classes{i}.dex": dex for i in range(2, 6)})
    ctx = BuildContext(multi, None, CN.limits)
    assert [d.name for d in ctx.dex_files] == ["classes.dex", *(f"classes{i}.dex" for i in range(2, 6))]
    assert all(d.data == dex for d in ctx.dex_files)
    ctx.close()


@pytest.mark.parametrize(
    ("name", "words"),
    [("malformed/robust-patch.apk", "no AndroidManifest.xml"),
     ("malformed/bad-manifest-owasp-uncrackable1.apk", "not a valid binary Android manifest"),
     ("malformed/truncated-60pct-mobpush-demo.apk", "may be truncated")],
)
def test_corpus_malformed_files(name: str, words: str) -> None:
    assert words in _message(scan_apk(corpus_file(name)))


def test_readable_apks_are_not_flagged() -> None:
    assert "PKG-UNREADABLE" not in rule_ids(scan_fixture("clean"))


@pytest.mark.parametrize("name", ["../../etc/cron.d/evil", "/abs/path.txt", "assets/../../x", "C:/windows/x.dll"])
def test_entry_names_that_escape_the_archive(tmp_path, name: str) -> None:  # type: ignore[no-untyped-def]
    from tests.zipcraft import with_entry_named

    evil = with_entry_named(fixture_apk("clean"), tmp_path / "evil.apk", name)
    assert "escapes it" in _message(scan(evil, CN, listing("complete")))


def test_overlapping_entries(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.zipcraft import overlap_entries

    bomb = copy_with(fixture_apk("clean"), tmp_path / "overlap.apk", {"assets/a.bin": b"a" * 5000,
                                                                     "assets/b.bin": b"b" * 5000})
    overlap_entries(bomb, "assets/a.bin", "assets/b.bin")
    assert "overlapping entries" in _message(scan(bomb, CN, listing("complete")))


def _with_manifest(tmp_path, manifest: bytes):  # type: ignore[no-untyped-def]
    """The clean fixture with its manifest swapped, stored uncompressed (so the ratio limit does not fire)."""
    path = tmp_path / "deep.apk"
    with zipfile.ZipFile(fixture_apk("clean")) as src, zipfile.ZipFile(path, "w") as dst:
        for info in src.infolist():
            if info.filename == "AndroidManifest.xml":
                dst.writestr(info.filename, manifest, compress_type=zipfile.ZIP_STORED)
            else:
                dst.writestr(info.filename, src.read(info), compress_type=info.compress_type)
    return path


def test_a_manifest_nested_thousands_deep_is_refused_before_parsing(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """60,000 levels (3.6 MB, under the manifest size limit) took androguard and the checks 15 s to read."""
    from tests.axmlcraft import nested_manifest

    verdict = scan(_with_manifest(tmp_path, nested_manifest("com.example.deep", 60_000)), CN, listing("complete"))
    assert "more than 64 levels deep" in _message(verdict)


def test_a_crafted_manifest_of_ordinary_depth_is_read(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The same writer at a sane depth: the manifest is read (so the refusal above is about depth alone)."""
    from tests.axmlcraft import nested_manifest

    verdict = scan(_with_manifest(tmp_path, nested_manifest("com.example.deep", 10)), CN, listing("complete"))
    assert "PKG-UNREADABLE" not in rule_ids(verdict)
    assert verdict.to_dict()["app"]["package"] == "com.example.deep"
