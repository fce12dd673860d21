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


def test_home_made_packer_stub_and_encrypted_asset() -> None:
    f = finding(scan_fixture("diy-packer"), "PKG-PACKED")
    assert "home-made packer" in f.message and "assets/kernel.bin" in f.message
    assert "自制" in (f.message_zh or "")
    chain = next(e for e in f.evidence if e.kind == "call_chain")
    assert chain.value.startswith("Lcn/gate/fixture/diy_packer/StubApp;->attachBaseContext(")
    assert "DexClassLoader;-><init>" in chain.value
    assert any(e.location == "assets/kernel.bin" and e.extra["entropy"] > 7.5 for e in f.evidence)


def test_encrypted_data_without_a_stub_or_a_loader_is_not_a_packer() -> None:
    # hidden-payload builds class loaders, but not at start; json-zip-asset has no loader at all
    assert "PKG-PACKED" not in rule_ids(scan_fixture("hidden-payload"))
    assert "PKG-PACKED" not in rule_ids(scan_fixture("json-zip-asset"))


def test_corpus_diy_shell_names_its_encrypted_payload() -> None:
    f = finding(scan_apk(corpus_file("apks/afinalstone-shellapplication-signer.apk")), "PKG-PACKED")
    assert "home-made packer" in f.message
    assert any(e.location == "classes.xed" and e.extra.get("anomaly") == "encrypted_payload" for e in f.evidence)
