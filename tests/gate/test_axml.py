"""gate.apk.axml, the lean binary-XML and resource-table reader, against androguard over real APKs, crafted
documents and random damage."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gate.apk import axml
from gate.apk.manifest import local_name as _local
from gate.apk.manifest import parse_manifest
from tests.axmlcraft import document
from tests.conftest import APKS, CORPUS

APK_FILES = sorted(CORPUS.glob("apks/*.apk")) + sorted(APKS.glob("*.apk"))
DIMENSION = re.compile(r"-?[0-9.]+(px|dip|sp|pt|in|mm|%|%p)")


def _quiet_androguard():  # type: ignore[no-untyped-def]
    from loguru import logger

    logger.remove()
    from androguard.core import axml as ag

    return ag


def _shape(element, depth: int = 0, out: list | None = None) -> list:  # type: ignore[type-arg]
    """Tags, attributes and text, namespaces folded as the checks fold them. androguard prints negative
    dimensions unsigned (16777208.000000dip for -8dip), so dimensions are compared as present only."""
    out = [] if out is None else out
    attrs = sorted((_local(k), "<dimension>" if DIMENSION.fullmatch(str(v)) else str(v))
                   for k, v in element.attrib.items())
    out.append((depth, _local(element.tag), attrs, (element.text or "").strip()))
    for child in element:
        if isinstance(child.tag, str):
            _shape(child, depth + 1, out)
    return out


def _xml_entries(path: Path) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(path) as zf:
        names = [n for n in zf.namelist() if n == "AndroidManifest.xml" or (n.startswith("res/xml/") and
                                                                           n.endswith(".xml"))]
        return [(n, zf.read(n)) for n in names]


@pytest.mark.skipif(not APK_FILES, reason="no APKs")
def test_manifests_and_xml_resources_read_as_androguard_reads_them() -> None:
    ag = _quiet_androguard()
    compared = 0
    for path in APK_FILES:
        for name, raw in _xml_entries(path):
            printer = ag.AXMLPrinter(raw)
            theirs = _shape(printer.get_xml_obj()) if printer.is_valid() else None
            try:
                ours = _shape(axml.parse(raw))
            except axml.AxmlError:
                ours = None
            assert ours == theirs, f"{path.name}: {name}"
            compared += 1
    assert compared > 100


@pytest.mark.skipif(not (CORPUS / "apks").is_dir(), reason="corpus not available")
def test_resource_ids_resolve_to_the_same_files_as_androguard() -> None:
    ag = _quiet_androguard()
    checked = 0
    for path in sorted(CORPUS.glob("apks/*.apk")):
        with zipfile.ZipFile(path) as zf:
            if "resources.arsc" not in zf.namelist():
                continue
            raw = zf.read("resources.arsc")
            manifest = zf.read("AndroidManifest.xml")
        theirs_table = ag.ARSCParser(raw)
        ours_table = axml.ResourceTable(raw)
        ids = {int(v[1:], 16) for el in axml.parse(manifest).iter() for v in el.attrib.values()
               if re.fullmatch(r"@[0-9A-F]{8}", v) and v != "@00000000"}
        for res_id in ids:
            theirs = sorted({v for _, v in theirs_table.get_resolved_res_configs(res_id)
                             if isinstance(v, str) and "/" in v})
            assert sorted(p for p in ours_table.file_paths(res_id) if "/" in p) == theirs, (path.name, hex(res_id))
            checked += 1
    assert checked > 50


def test_platform_attributes_are_named_by_their_resource_id_not_the_string_pool() -> None:
    """Packers rename or blank attribute names in the string pool; Android reads the resource id."""
    raw = document(("manifest", [("package", "string", "cn.gate.crafted")],
                    [("application", [("android:zzz", "bool", True), ("android:name", "string", ".App")], [])]),
                   {"zzz": 0x0101000F, "name": 0x01010003})
    manifest = parse_manifest(raw)
    assert manifest.app_flag("debuggable") is True
    assert manifest.application["name"] == ".App"


def test_values_are_formatted_like_androguard() -> None:
    assert axml.format_value(0x12, 0xFFFFFFFF, "") == "true"
    assert axml.format_value(0x10, 0xFFFFFFFE, "") == "-2"
    assert axml.format_value(0x11, 0x10, "") == "0x00000010"
    assert axml.format_value(0x01, 0x7F0E0001, "") == "@7F0E0001"
    assert axml.format_value(0x01, 0x0106000D, "") == "@android:0106000D"
    assert axml.format_value(0x03, 7, "text") == "text"


@pytest.mark.skipif(not APK_FILES, reason="no APKs")
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_damaged_documents_only_ever_raise_axml_error(data) -> None:  # type: ignore[no-untyped-def]
    path = data.draw(st.sampled_from(APK_FILES[:12]))
    with zipfile.ZipFile(path) as zf:
        raw = bytearray(zf.read("AndroidManifest.xml"))
        table = bytearray(zf.read("resources.arsc")) if "resources.arsc" in zf.namelist() else bytearray(b"\2\0\x0c\0")
    for blob in (raw, table):
        for _ in range(data.draw(st.integers(1, 20))):
            at = data.draw(st.integers(0, len(blob) - 1))
            blob[at] = data.draw(st.integers(0, 255))
        if data.draw(st.booleans()):
            del blob[data.draw(st.integers(0, len(blob))):]
    try:
        axml.parse(bytes(raw))
    except axml.AxmlError:
        pass
    try:
        table_reader = axml.ResourceTable(bytes(table))
        for res_id in (0x7F010000, 0x7F140002, 0x7F0E0001):
            table_reader.file_paths(res_id)
    except axml.AxmlError:
        pass
