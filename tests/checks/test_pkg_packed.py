import pytest

from tests.conftest import corpus_file, finding, rule_ids, scan_apk, scan_fixture


def test_legu_like_fixture_is_named() -> None:
    f = finding(scan_fixture("legu-like"), "PKG-PACKED")
    assert "Legu" in f.message
    locations = {e.location for e in f.evidence}
    assert "lib/armeabi-v7a/libshella-2.10.8.so" in locations
    assert "Lcom/tencent/StubShell/TxAppEntry;" in locations


def test_a_stub_class_name_alone_is_not_a_packer() -> None:
    assert "PKG-PACKED" not in rule_ids(scan_fixture("stubapp-only"))
    assert "PKG-PACKED" not in rule_ids(scan_fixture("clean"))


@pytest.mark.parametrize("name", ["game2048", "juzinovel", "minimalpoem"])
def test_corpus_legu_pairs(name: str) -> None:
    packed = finding(scan_apk(corpus_file(f"apks/{name}-legu-packed.apk")), "PKG-PACKED")
    assert "Legu" in packed.message
    assert "PKG-PACKED" not in rule_ids(scan_apk(corpus_file(f"apks/{name}-unpacked.apk")))


@pytest.mark.parametrize("name", ["apkid-dexguard1", "apkid-dexguard-6.1"])
def test_corpus_dexguard(name: str) -> None:
    assert "DexGuard" in finding(scan_apk(corpus_file(f"apks/{name}.apk")), "PKG-PACKED").message


def test_home_made_shell_named_stubapp_is_not_360_jiagu() -> None:
    f = finding(scan_apk(corpus_file("apks/zjjiagu-diy-packed-signed.apk")), "PKG-PACKED")
    assert "360" not in f.message and "does not know" in f.message


def test_instant_run_is_named_for_what_it_is() -> None:
    f = finding(scan_apk(corpus_file("apks/amap-location-service-demo.apk")), "PKG-PACKED")
    assert "Instant Run" in f.message
