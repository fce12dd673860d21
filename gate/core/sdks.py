"""The SDK catalogue (gate/data/sdks.json): which vendor SDK or open-source library a class belongs to,
and which SDKs an APK carries, with the evidence for each."""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

KINDS = ("analytics", "push", "ads", "payment", "maps_location", "social_login_share", "crash_apm",
         "device_id_service", "hot_update_plugin", "packer", "debug_bridge", "risk_control", "identity_verification",
         "im_rtc", "ai_speech_vision", "cloud_service", "customer_service", "game_service", "browser_engine",
         "app_market")


@dataclass(frozen=True)
class Sdk:
    id: str
    name_en: str
    name_zh: str
    vendor_en: str
    vendor_zh: str
    kind: str
    packages: tuple[str, ...]
    classes: tuple[str, ...] = ()
    native_libs: tuple[str, ...] = ()
    components: tuple[str, ...] = ()
    assets: tuple[str, ...] = ()
    data_collected: tuple[str, ...] = ()
    source: str = ""
    # Fingerprints that survive renaming (gate.core.fingerprints): <meta-data> keys and collection hosts.
    meta_data: tuple[str, ...] = ()
    hosts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Library:
    id: str
    name: str
    packages: tuple[str, ...]


@dataclass
class Catalogue:
    sdks: dict[str, Sdk]
    libraries: dict[str, Library]
    version: str = ""
    _owner: dict[str, tuple[str, str]] = field(default_factory=dict)  # "com/umeng/" → ("sdk", id)

    def __post_init__(self) -> None:
        for lib in self.libraries.values():
            for p in lib.packages:
                self._owner[_slash(p)] = ("library", lib.id)
        for sdk in self.sdks.values():  # SDKs win over libraries on the same prefix
            for p in sdk.packages:
                self._owner[_slash(p)] = ("sdk", sdk.id)
            for c in sdk.classes:
                self._owner["L" + c.replace(".", "/") + ";"] = ("sdk", sdk.id)

    def owner(self, class_desc: str) -> tuple[str, str] | None:
        """("sdk", id) or ("library", id) for a class descriptor ``Lpkg/Cls;``, else None (the app's own)."""
        exact = self._owner.get(class_desc)
        if exact:
            return exact
        path = class_desc[:-1] if class_desc.endswith(";") else class_desc
        while True:
            cut = path.rfind("/")
            if cut <= 1:
                return None
            path = path[:cut]
            hit = self._owner.get(path + "/")
            if hit:
                return hit

    def sdk_of(self, class_desc: str) -> Sdk | None:
        hit = self.owner(class_desc)
        return self.sdks[hit[1]] if hit and hit[0] == "sdk" else None

    def is_library(self, class_desc: str) -> bool:
        hit = self.owner(class_desc)
        return bool(hit and hit[0] == "library")


def _slash(package: str) -> str:
    return "L" + package.replace(".", "/").rstrip("/") + "/"


def lib_matches(pattern: str, filename: str) -> bool:
    """Whether a native library's file name matches a catalogue marker (``*`` allowed). Most markers are
    plain names, compared as strings: a one-shot CLI run would otherwise compile 160 regular expressions."""
    if not _is_glob(pattern):
        return filename == pattern
    return _glob(pattern)(filename) is not None


def _is_glob(pattern: str) -> bool:
    return any(c in pattern for c in "*?[")


@cache
def _glob(pattern: str) -> Any:
    return re.compile(fnmatch.translate(pattern)).match


def asset_matches(pattern: str, entries: list[str]) -> list[str]:
    """Archive entries matching a catalogue asset marker: a path from the APK root (``*`` allowed), or a bare
    name, which may sit anywhere (``tencent_stub``)."""
    if not _is_glob(pattern):  # most markers are plain names: string compares, no globbing
        if "/" in pattern:
            return [e for e in entries if e == pattern]
        tail = "/" + pattern
        return [e for e in entries if e == pattern or e.endswith(tail)]
    match = _glob(pattern)
    if "/" in pattern:
        return [e for e in entries if match(e)]
    return [e for e in entries if match(e.rsplit("/", 1)[-1])]


def _tuple(row: dict[str, Any], key: str) -> tuple[str, ...]:
    return tuple(row.get(key) or ())


@cache
def catalogue() -> Catalogue:
    data = json.loads(resources.files("gate.data").joinpath("sdks.json").read_text(encoding="utf-8"))
    sdks = {
        row["id"]: Sdk(id=row["id"], name_en=row["name_en"], name_zh=row.get("name_zh") or row["name_en"],
                       vendor_en=row["vendor_en"], vendor_zh=row.get("vendor_zh") or row["vendor_en"],
                       kind=row["kind"], packages=_tuple(row, "packages"), classes=_tuple(row, "classes"),
                       native_libs=_tuple(row, "native_libs"), components=_tuple(row, "components"),
                       assets=_tuple(row, "assets"), data_collected=_tuple(row, "data_collected"),
                       source=row.get("source", ""), meta_data=_tuple(row, "meta_data"), hosts=_tuple(row, "hosts"))
        for row in data["sdks"]
    }
    libraries = {row["id"]: Library(id=row["id"], name=row.get("name", row["id"]), packages=_tuple(row, "packages"))
                 for row in data.get("libraries", [])}
    return Catalogue(sdks=sdks, libraries=libraries, version=str(data.get("version", "")))


@cache
def sensitive_apis() -> dict[str, str]:
    """Dalvik signature → data category (methods ``->name(args)ret`` and fields ``->NAME:type``)."""
    data = json.loads(resources.files("gate.data").joinpath("sensitive_apis.json").read_text(encoding="utf-8"))
    return dict(data["apis"])


@dataclass(frozen=True)
class Detected:
    """An SDK found in an APK, with what shows it (class packages, marker classes, libraries, components)."""

    sdk: Sdk
    evidence: tuple[dict[str, Any], ...]

    def to_dict(self) -> dict[str, Any]:
        s = self.sdk
        return {"id": s.id, "name": s.name_en, "name_zh": s.name_zh, "vendor": s.vendor_en, "vendor_zh": s.vendor_zh,
                "category": s.kind, "data_collected": list(s.data_collected), "evidence": list(self.evidence),
                "markers": sorted({e["marker"] for e in self.evidence if e.get("marker")})}


def _simple_name(desc: str) -> str:
    return desc.rstrip(";").rsplit("/", 1)[-1].split("$", 1)[0]


def _stub_only(hits: list[str]) -> bool:
    """Whether a handful of classes are only another SDK's copy of a vendor's API surface: AIDL interface stubs
    (``IFoo``, ``IFoo$Stub``, ``...$Stub$Proxy``), as MSA ships for HMS's device-id service, or exception types
    with obfuscated helpers, as Play services' basement ships ``com.google.firebase.FirebaseException`` into apps
    with no Firebase at all."""
    if not hits or len(hits) > 12:
        return False
    stubbed = {h.rstrip(";").split("$", 1)[0] for h in hits if "$Stub" in h}

    def surface(h: str) -> bool:
        return h.rstrip(";").split("$", 1)[0] in stubbed or _simple_name(h).endswith("Exception")

    def obfuscated(h: str) -> bool:  # zzb, a, ab: a shrinker's name, not an API of the SDK
        name = _simple_name(h)
        return len(name) <= 3 and name.islower()

    return any(surface(h) for h in hits) and all(surface(h) or obfuscated(h) for h in hits)


FINGERPRINT_QUORUM = 2
MAX_SHOWN = 3  # anchors of one kind shown as evidence


def _fingerprints(sdk: Sdk, meta_keys: Collection[str], anchors: list[Any]) -> list[dict[str, Any]]:
    """Evidence of an SDK's renaming-proof fingerprints: its meta-data keys in the manifest, and the anchors
    (hosts, its key read, its library loaded) in code."""
    out: list[dict[str, Any]] = [
        {"kind": "manifest", "value": f"meta-data {key}", "sdk": sdk.id, "marker": "meta_data",
         "location": f'AndroidManifest.xml <meta-data android:name="{key}">'}
        for key in sdk.meta_data if key in meta_keys]
    shown: dict[str, int] = {}
    words = {"host": "collection host {v} in a string constant", "meta_read": "reads meta-data key {v}",
             "lib_load": "loads native library {v}"}
    for a in anchors:
        if shown.get(a.kind, 0) >= MAX_SHOWN:
            continue
        shown[a.kind] = shown.get(a.kind, 0) + 1
        item = {"kind": "sdk", "value": words[a.kind].format(v=a.value), "location": a.cls, "sdk": sdk.id,
                "marker": a.kind}
        if a.text and a.text != a.value:
            item["constant"] = a.text[:200]
        out.append(item)
    return out


def detect(cat: Catalogue, classes_with_prefix: Any, has_class: Any, entries: list[str],
           components: list[str], app_package: str = "", app_roots: tuple[str, ...] = (),
           meta_keys: Collection[str] = (), anchors: Iterable[Any] = ()) -> list[Detected]:
    """Every catalogue SDK with at least one marker present. ``classes_with_prefix(prefix)`` lists defined
    class descriptors; ``has_class(desc)`` tests one.

    A package prefix never counts classes under the app's own roots (its package name and ``app_roots``)
    unless another marker of the SDK (a marker class, native library, component or file) is present: a vendor's
    demo app lives under the vendor's prefix. An SDK seen only through a few AIDL interface stubs is another
    SDK's copy of them, not the SDK. Each item of evidence names the marker that matched (``marker``)."""
    own = tuple(_slash(p) for p in (app_package, *app_roots) if p)
    by_sdk: dict[str, list[Any]] = {}
    for anchor in anchors:
        by_sdk.setdefault(anchor.sdk, []).append(anchor)
    libs = [e for e in entries if e.startswith("lib/") and e.count("/") == 2]
    lib_names = {e.rsplit("/", 1)[1]: e for e in libs}
    found: list[Detected] = []
    for sdk in cat.sdks.values():
        evidence: list[dict[str, Any]] = []
        for cls in sdk.classes:
            desc = "L" + cls.replace(".", "/") + ";"
            if has_class(desc):
                evidence.append({"kind": "sdk", "value": f"class {cls}", "location": desc, "sdk": sdk.id,
                                 "marker": "class"})
        for pattern in sdk.native_libs:
            for name, path in lib_names.items():
                if lib_matches(pattern, name):
                    evidence.append({"kind": "file", "value": f"native library {name}", "location": path,
                                     "sdk": sdk.id, "marker": "native_lib"})
        for component in sdk.components:
            if component in components:
                evidence.append({"kind": "manifest", "value": f"component {component}",
                                 "location": "AndroidManifest.xml", "sdk": sdk.id, "marker": "component"})
        for asset in sdk.assets:
            for path in asset_matches(asset, entries)[:3]:
                evidence.append({"kind": "file", "value": f"file {path.rsplit('/', 1)[-1]}", "location": path,
                                 "sdk": sdk.id, "marker": "asset"})
        strong = bool(evidence)
        prints = _fingerprints(sdk, meta_keys, by_sdk.get(sdk.id, []))
        if strong or len({e["marker"] for e in prints}) >= FINGERPRINT_QUORUM:
            evidence += prints
        other_marker = bool(evidence)
        package_hits: list[dict[str, Any]] = []
        all_hits: list[str] = []
        for package in sdk.packages:
            # a class belongs to the SDK with the longest matching prefix (catalogue prefixes nest)
            hits = [c for c in classes_with_prefix(_slash(package))
                    if (other_marker or not c.startswith(own)) and cat.owner(c) == ("sdk", sdk.id)]
            if hits:
                all_hits += hits
                package_hits.append({"kind": "sdk", "value": f"{package}.* ({len(hits)} classes)",
                                     "location": hits[0], "sdk": sdk.id, "marker": "package"})
        if not other_marker and _stub_only(all_hits):
            continue
        evidence = package_hits + [e for e in evidence if not any(e["location"] == p["location"]
                                                                  for p in package_hits)]
        if evidence:
            found.append(Detected(sdk=sdk, evidence=tuple(evidence)))
    return found
