"""The catalogue's file markers match as globbing would, plain names included (they skip the regex)."""

from __future__ import annotations

import fnmatch
import zipfile

from gate.core.sdks import asset_matches, catalogue, lib_matches
from tests.conftest import corpus_files


def _names() -> list[str]:
    """Library and asset names from the corpus, the catalogue's own markers, and near misses of them."""
    names: set[str] = set()
    for apk in corpus_files("apks"):
        with zipfile.ZipFile(apk) as zf:
            names.update(zf.namelist())
    for sdk in catalogue().sdks.values():
        for marker in (*sdk.native_libs, *sdk.assets):
            plain = marker.replace("*", "x").replace("?", "y")
            names.update({plain, plain.upper(), "a" + plain, plain + "a", f"lib/arm64-v8a/{plain}",
                          f"assets/{plain}", marker})
    return sorted(names)


def test_library_markers_match_as_fnmatchcase() -> None:
    names = {n.rsplit("/", 1)[-1] for n in _names()}
    patterns = {p for sdk in catalogue().sdks.values() for p in sdk.native_libs}
    assert any("*" in p for p in patterns) and any("*" not in p for p in patterns)
    hits = 0
    for pattern in patterns:
        for name in names:
            expected = fnmatch.fnmatchcase(name, pattern)
            assert lib_matches(pattern, name) == expected, (pattern, name)
            hits += expected
    assert hits > len(patterns)  # every marker matched at least its own spelled-out name


def test_asset_markers_match_as_fnmatchcase() -> None:
    entries = _names()
    for sdk in catalogue().sdks.values():
        for marker in sdk.assets:
            if "/" in marker:
                expected = [e for e in entries if fnmatch.fnmatchcase(e, marker)]
            else:
                expected = [e for e in entries if fnmatch.fnmatchcase(e.rsplit("/", 1)[-1], marker)]
            assert asset_matches(marker, entries) == expected, marker


def test_an_sdk_seen_only_through_another_sdks_copy_of_its_api_surface_is_not_reported() -> None:
    """AIDL stubs (HMS's device-id service inside MSA) and exception types with obfuscated helpers (Play services'
    basement ships com.google.firebase.FirebaseException) are another SDK's copy; real code is not."""
    from gate.core.sdks import _stub_only

    assert _stub_only(["Lcom/huawei/hms/ads/identifier/aidl/IFoo;", "Lcom/huawei/hms/ads/identifier/aidl/IFoo$Stub;",
                       "Lcom/huawei/hms/ads/identifier/aidl/IFoo$Stub$Proxy;"])
    assert _stub_only(["Lcom/google/firebase/FirebaseException;",
                       "Lcom/google/firebase/FirebaseApiNotAvailableException;", "Lcom/google/firebase/zzb;"])
    assert not _stub_only(["Lcom/google/firebase/FirebaseException;", "Lcom/google/firebase/FirebaseApp;"])
    assert not _stub_only(["Lcom/mob/a;", "Lcom/mob/b;"])  # obfuscated code alone is code, not a stub
    assert not _stub_only([f"Lcom/x/E{i}Exception;" for i in range(13)])  # too many to be a copied surface
