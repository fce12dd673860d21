"""Native libraries (gate/core/native.py) and payloads opened (gate/core/payloads.py), on the committed fixtures
(tests/fixtures/native/, the native-ids, native-quiet and hidden-payload APKs) and, when present, the corpus."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from gate.core import native, payloads
from gate.core import policy as policy_mod
from gate.core.context import BuildContext
from tests.conftest import ROOT, corpus_file, fixture_apk
from tests.zipcraft import copy_with, zip_bytes

NATIVE = ROOT / "tests" / "fixtures" / "native" / "lib"
EXPECTED = json.loads((ROOT / "tests" / "fixtures" / "expected.json").read_text(encoding="utf-8"))["fixtures"]
CN = policy_mod.load("cn-default")


def _context(path: Path, **limits: int) -> BuildContext:
    pol = policy_mod.with_override(CN, {"limits": limits}, "test") if limits else CN
    return BuildContext(path, None, pol.limits)


def _parts(abi: str, name: str) -> tuple[set[str], set[str]]:
    return native.elf_parts((NATIVE / abi / name).read_bytes())


def test_one_abi_per_library_name_arm64_first() -> None:
    entries = ["lib/x86/liba.so", "lib/armeabi-v7a/liba.so", "lib/arm64-v8a/liba.so", "lib/x86/libb.so",
               "lib/armeabi-v7a/libc.so", "lib/riscv64/libd.so", "lib/arm64-v8a/sub/libe.so", "assets/libf.so"]
    assert native.choose_libraries(entries) == {"liba.so": "lib/arm64-v8a/liba.so", "libb.so": "lib/x86/libb.so",
                                                 "libc.so": "lib/armeabi-v7a/libc.so",
                                                 "libd.so": "lib/riscv64/libd.so"}


@pytest.mark.parametrize("abi", ["arm64-v8a", "armeabi-v7a"])
def test_each_read_in_both_abis(abi: str) -> None:
    imports, strings = _parts(abi, "libjcore-mac.so")
    [mac] = native.reads_of("m", imports, strings)
    assert (mac.how, mac.target, mac.category, mac.imports) == ("file", "/sys/class/net/wlan0/address",
                                                                  "device_id", ("fopen",))
    [serial] = native.reads_of("s", *_parts(abi, "libserial.so"))
    assert (serial.how, serial.target, serial.imports) == ("property", "ro.serialno", ("__system_property_get",))
    [jni] = native.reads_of("j", *_parts(abi, "libjniimei.so"))
    assert (jni.how, jni.target) == ("jni", "Landroid/telephony/TelephonyManager;->getDeviceId()Ljava/lang/String;")
    imports, strings = _parts(abi, "libbattery.so")
    assert "fopen" in imports and "/sys/class/power_supply/battery/capacity" in strings
    assert native.reads_of("b", imports, strings) == []


def test_each_half_alone_is_not_a_read() -> None:
    # the string without the import, the import without the string, the method name without its signature
    assert native.reads_of("x", set(), {"/sys/class/net/wlan0/address", "ro.serialno"}) == []
    assert native.reads_of("x", {"fopen", "__system_property_get", "popen"}, {"ro.product.model", "ls"}) == []
    assert native.reads_of("x", set(), {"getDeviceId", "(I)V"}) == []
    # getAddress is in two classes of the table: the class name must be there too
    assert native.reads_of("x", set(), {"getAddress", "()Ljava/lang/String;"}) == []
    [cmd] = native.reads_of("x", {"popen"}, {"pm list packages -3"})
    assert (cmd.how, cmd.category) == ("command", "app_list")
    [fmt] = native.reads_of("x", {"open"}, {"/sys/class/net/%s/address"})
    assert fmt.target == "/sys/class/net/%s/address"


@pytest.mark.parametrize("data", [b"", b"\x7fELF", b"MZ" + bytes(200),
                                  (NATIVE / "armeabi-v7a" / "libbroken.so").read_bytes(),
                                  (NATIVE / "arm64-v8a" / "libserial.so").read_bytes()[:300]])
def test_malformed_elf_is_a_clean_error(data: bytes) -> None:
    with pytest.raises(native.NativeError):
        native.elf_parts(data)


def test_native_ids_fixture_against_expected() -> None:
    exp = EXPECTED["native-ids"]["native"]
    report = _context(fixture_apk("native-ids")).native
    assert list(report.libraries) == exp["libraries_read"]
    assert [path for path, _ in report.skipped] == exp["skipped"]
    assert "malformed ELF" in report.skipped[0][1]
    got = [{"library": r.library, "how": r.how, "target": r.target, "category": r.category, "sdk": r.sdk}
           for r in report.reads]
    assert sorted(got, key=str) == sorted(exp["reads"], key=str)


def test_native_quiet_fixture() -> None:
    report = _context(fixture_apk("native-quiet")).native
    assert report.libraries == ("lib/arm64-v8a/libbattery.so",) and report.reads == () and report.skipped == ()


def test_library_read_within_the_size_limit() -> None:
    # one library is read through the context's bounded read, at most max_dex_bytes
    report = _context(fixture_apk("native-ids"), max_dex_bytes=4900).native
    skipped = dict(report.skipped)
    assert "lib/arm64-v8a/libjcore-mac.so" in skipped and "limit" in skipped["lib/arm64-v8a/libjcore-mac.so"]
    assert report.libraries == ("lib/arm64-v8a/libjniimei.so",)  # 4,816 bytes; the others are 4,960 or more
    assert [r.how for r in report.reads] == ["jni"]


def test_the_elf_reader_is_imported_only_for_apks_with_native_libraries() -> None:
    code = ("import sys; from gate.core.scan import scan; from gate.core import policy; "
            "scan(sys.argv[1], policy.load('cn-default'), None); print('elftools' in sys.modules)")
    for name, expected in (("clean", "False"), ("native-quiet", "True")):
        out = subprocess.run([sys.executable, "-c", code, str(fixture_apk(name))], capture_output=True, text=True,
                             cwd=ROOT, check=True)
        assert out.stdout.strip() == expected, name


@pytest.mark.parametrize("name", ["owasp-r2pay-v0.9", "owasp-uncrackable-level3", "amap-path-record-demo"])
def test_corpus_libraries_parse(name: str) -> None:
    report = _context(corpus_file(f"apks/{name}.apk")).native
    assert report.libraries and report.skipped == ()
    assert all(lib.startswith("lib/arm64-v8a/") for lib in report.libraries)


# -- payloads ------------------------------------------------------------------------------------


def test_hidden_payload_dex_files_are_opened() -> None:
    exp = EXPECTED["hidden-payload"]
    found = _context(fixture_apk("hidden-payload")).payloads
    assert [d.name for d in found.dexes] == exp["payloads"]["dex"]
    assert [(c.path, c.kind) for c in found.containers] == [(p["path"], p["kind"])
                                                            for p in exp["code"]["payload_assets"]]
    assert found.skipped == []


def test_a_zip_of_json_is_not_a_payload() -> None:
    found = _context(fixture_apk("json-zip-asset")).payloads
    assert found.containers == [] and found.dexes == []


def test_nested_archives_within_depth_ratio_and_damage(tmp_path: Path) -> None:
    dex = zipfile.ZipFile(fixture_apk("hidden-payload")).read("assets/raw.bin")
    nested = zip_bytes({"classes.dex": dex})
    for _ in range(payloads.MAX_DEPTH - 1):
        nested = zip_bytes({"inner.jar": nested})
    too_deep = zip_bytes({"inner.jar": nested})
    bomb = zip_bytes({"classes.dex": b"dex\n035\x00" + bytes(8 * 1024 * 1024)})  # 8 MiB of zeros: ratio ~1000
    broken = zip_bytes({"classes.dex": b"dex\n035\x00" + bytes(200)})
    apk = copy_with(fixture_apk("clean"), tmp_path / "nested.apk",
                    {"assets/deep.bin": nested, "assets/too-deep.bin": too_deep, "res/raw/bomb.dat": bomb,
                     "assets/broken.zip": broken, "unknown/root.pak": dex})
    found = _context(apk).payloads
    names = [d.name for d in found.dexes]
    depth_path = "assets/deep.bin" + "!inner.jar" * (payloads.MAX_DEPTH - 1) + "!classes.dex"
    assert depth_path in names and "unknown/root.pak" in names
    assert not any(n.startswith("assets/too-deep.bin") for n in names)
    skipped = dict(found.skipped)
    assert "ratio" in skipped["res/raw/bomb.dat!classes.dex"]
    assert "not a readable dex" in skipped["assets/broken.zip!classes.dex"]
    # the damaged payload leaves the scan standing
    assert _context(apk).code.classes


def test_payload_budget_skips_what_is_too_large(tmp_path: Path) -> None:
    dex = zipfile.ZipFile(fixture_apk("hidden-payload")).read("assets/raw.bin")
    apk = copy_with(fixture_apk("clean"), tmp_path / "big.apk",
                    {"assets/a.bin": dex, "assets/b.bin": dex, "assets/c.bin": dex})
    # all payloads together may inflate twice the dex limit: room for two of the three
    found = _context(apk, max_dex_bytes=len(dex) + 200).payloads
    assert [d.name for d in found.dexes] == ["assets/a.bin", "assets/b.bin"]
    assert "budget" in dict(found.skipped)["assets/c.bin"]


def test_entropy_and_opaque_entries() -> None:
    assert payloads.entropy(bytes(4096)) == 0.0
    assert payloads.entropy(bytes(range(256)) * 16) == pytest.approx(8.0)
    assert payloads.opaque_entries(_context(fixture_apk("diy-packer"))) == [("assets/kernel.bin", 7.99)]
    # a zip has a known format
    assert payloads.opaque_entries(_context(fixture_apk("json-zip-asset"))) == []
