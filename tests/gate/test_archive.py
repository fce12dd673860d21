"""gate.apk.archive: the intake and the signature verifier give one answer for each hostile ZIP shape.

Each case is built from a real fixture APK (signed v1 + v2), then scanned (the intake's answer: block,
PKG-UNREADABLE) and verified (the verifier's answer: no scheme verifies, the same problem). Where Python's
zipfile would have accepted the archive, the test says so: that is the disagreement the shared reader closes.
"""

from __future__ import annotations

import io
import shutil
import zipfile
import zlib
from pathlib import Path

import pytest

from gate.apk import archive
from gate.apk.apksig import verify_apk
from gate.core import policy
from gate.core.scan import scan
from tests.conftest import fixture_apk, listing
from tests.zipcraft import (
    copy_with,
    insert_before_eocd,
    overlap_entries,
    rename_in_central_directory,
    set_central_directory_size,
    with_duplicate,
    with_entry_named,
    zip64_records,
)

CN = policy.load("cn-default")


def _signed(tmp_path: Path) -> Path:
    path = tmp_path / "upload.apk"
    shutil.copy(fixture_apk("clean"), path)
    return path


def _both_refuse(path: Path, intake_words: str, verifier_words: str) -> None:
    verdict = scan(path, CN, listing("complete"))
    assert [f.rule_id for f in verdict.findings] == ["PKG-UNREADABLE"], [f.message for f in verdict.findings]
    assert intake_words in verdict.findings[0].message
    assert verdict.findings[0].message_zh
    report = verify_apk(path)
    assert not any(s.verified for s in report.schemes)
    problems = [*report.problems, *(p for s in report.schemes for p in s.problems)]
    assert any(verifier_words in p for p in problems), problems


def test_the_fixture_itself_is_accepted_by_both(tmp_path: Path) -> None:
    path = _signed(tmp_path)
    assert "PKG-UNREADABLE" not in {f.rule_id for f in scan(path, CN, listing("complete")).findings}
    assert {s.scheme for s in verify_apk(path).schemes if s.verified} >= {"v1", "v2"}


def test_zip64_is_refused(tmp_path: Path) -> None:
    path = _signed(tmp_path)
    insert_before_eocd(path, zip64_records(path))
    with zipfile.ZipFile(path) as zf:  # Python reads it
        assert zf.namelist()
    _both_refuse(path, "ZIP64", "ZIP64 archives are not supported")


def test_bytes_after_the_comment_are_refused(tmp_path: Path) -> None:
    path = _signed(tmp_path)
    path.write_bytes(path.read_bytes() + b"trailing bytes")
    with zipfile.ZipFile(path) as zf:  # Python reads it
        assert zf.namelist()
    _both_refuse(path, "comment does not end where the file ends", "does not end at the end of the file")


def test_a_gap_before_the_end_record_is_refused(tmp_path: Path) -> None:
    path = _signed(tmp_path)
    insert_before_eocd(path, b"\0" * 16)
    _both_refuse(path, "central directory ends 16 bytes before", "bytes between the central directory")


def test_a_directory_overlapping_the_end_record_is_refused(tmp_path: Path) -> None:
    path = _signed(tmp_path)
    data = path.read_bytes()
    pos = data.rfind(archive.EOCD_MAGIC)
    cd_size = int.from_bytes(data[pos + 12: pos + 16], "little")
    set_central_directory_size(path, cd_size + 8)
    _both_refuse(path, "overlaps the end-of-central-directory record", "overlaps the End of Central Directory")


def test_duplicate_names_are_refused(tmp_path: Path) -> None:
    path = with_duplicate(fixture_apk("clean"), tmp_path / "dup.apk", "classes.dex", b"dex\n035\x00")
    _both_refuse(path, "holds the entry classes.dex twice", "duplicate entry classes.dex")


def test_names_escaping_the_archive_are_refused(tmp_path: Path) -> None:
    path = with_entry_named(fixture_apk("clean"), tmp_path / "escape.apk", "../../evil.so")
    _both_refuse(path, "whose name escapes it", "escapes the archive")


def test_overlapping_entries_are_refused(tmp_path: Path) -> None:
    path = copy_with(fixture_apk("clean"), tmp_path / "overlap.apk", {"assets/a.txt": b"a" * 64,
                                                                        "assets/b.txt": b"b" * 64})
    overlap_entries(path, "assets/a.txt", "assets/b.txt")
    _both_refuse(path, "share their data", "overlap")


def test_a_local_name_that_differs_from_the_directory_is_refused_when_read(tmp_path: Path) -> None:
    path = _signed(tmp_path)
    rename_in_central_directory(path, "AndroidManifest.xml", "AndroidManifest.xmm")
    with open(path, "rb") as fh:
        src = archive.Source(fh, path.stat().st_size)
        zs = src.sections()
        entry = next(e for e in archive.central_directory(src, zs) if e.name == "AndroidManifest.xmm")
        with pytest.raises(archive.ZipFormatError, match="local header name differs"):
            archive.entry_data_range(src, entry, zs.cd_offset)


def _deflated(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


def test_inflate_stops_at_the_declared_size() -> None:
    raw = _deflated(b"x" * 100_000)
    assert b"".join(archive.inflate([raw], 100_000, "e")) == b"x" * 100_000
    with pytest.raises(archive.ZipFormatError, match="more than its declared 1000 bytes"):
        b"".join(archive.inflate([raw], 1000, "e"))
    with pytest.raises(archive.ZipFormatError, match="truncated or does not match"):
        b"".join(archive.inflate([raw], 200_000, "e"))
    with pytest.raises(archive.ZipFormatError, match="truncated or does not match"):
        b"".join(archive.inflate([raw[: len(raw) // 2]], 100_000, "e"))


def test_the_end_record_is_the_last_signature() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("a", b"a")
        zf.comment = b"ends with a signature PK\x05\x06" + bytes(18)  # a second, fake end record in the comment
    data = buf.getvalue()
    found = archive.find_sections(io.BytesIO(data), len(data))
    assert found is not None
    assert found.eocd_offset == len(data) - 22  # the fake one: libziparchive scans from the end as well
    assert found.trailing == 0
    with pytest.raises(archive.ZipFormatError):
        archive.check_sections(found)  # and it points at no directory


def test_no_end_record_means_not_a_zip() -> None:
    assert archive.find_sections(io.BytesIO(b"no zip here" * 10), 110) is None
    assert archive.find_sections(io.BytesIO(b""), 0) is None
