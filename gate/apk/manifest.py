"""The Android manifest: its model (components, intent filters, permission requests) and the parser that builds it.

The binary XML is decoded by ``gate.apk.axml``; this module refuses a manifest nested deeper than
``gate.defaults.MAX_MANIFEST_DEPTH`` before decoding it, and any document that is not a ``<manifest>``.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass, field
from typing import Any

from gate.apk.errors import unreadable
from gate.core.model import Evidence
from gate.defaults import MAX_MANIFEST_DEPTH

ANDROID_NS = "{http://schemas.android.com/apk/res/android}"
MANIFEST = "AndroidManifest.xml"


@dataclass(frozen=True)
class IntentFilter:
    actions: tuple[str, ...]
    categories: tuple[str, ...]
    schemes: tuple[str, ...] = ()
    mime_types: tuple[str, ...] = ()


@dataclass(frozen=True)
class Component:
    kind: str  # activity, activity-alias, service, receiver, provider
    name: str
    exported_attr: bool | None
    permission: str | None
    read_permission: str | None
    write_permission: str | None
    intent_filters: tuple[IntentFilter, ...]
    attrs: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def is_launcher(self) -> bool:
        return any("android.intent.action.MAIN" in f.actions and "android.intent.category.LAUNCHER" in f.categories
                   for f in self.intent_filters)

    def exported(self, target_sdk: int) -> bool:
        """Android's rule: explicit attribute, else exported when it has intent filters.

        Providers were exported by default up to targetSdk 16.
        """
        if self.exported_attr is not None:
            return self.exported_attr
        if self.kind == "provider":
            return target_sdk <= 16
        return bool(self.intent_filters)

    @property
    def guarded(self) -> bool:
        if self.permission:
            return True
        return self.kind == "provider" and bool(self.read_permission and self.write_permission)

    @property
    def location(self) -> str:
        return f"AndroidManifest.xml <{self.kind} android:name=\"{self.name}\">"


@dataclass(frozen=True)
class PermissionRequest:
    name: str
    tag: str  # the element as written, e.g. "uses-permission" or "android:uses-permission"
    max_sdk: int | None = None


@dataclass(frozen=True)
class Manifest:
    package: str
    version_code: int | None
    version_name: str | None
    min_sdk: int | None
    target_sdk_declared: int | None
    permissions: tuple[PermissionRequest, ...]
    application: dict[str, str]
    components: tuple[Component, ...]
    # <application>'s <meta-data> as (android:name, android:value or android:resource): SDKs read their keys there
    meta_data: tuple[tuple[str, str], ...] = ()

    @property
    def target_sdk(self) -> int:
        """The effective targetSdkVersion: Android falls back to minSdk, then to 1."""
        if self.target_sdk_declared is not None:
            return self.target_sdk_declared
        return self.min_sdk if self.min_sdk is not None else 1

    @property
    def permission_names(self) -> list[str]:
        seen: dict[str, None] = {}
        for p in self.permissions:
            seen.setdefault(p.name, None)
        return list(seen)

    def app_flag(self, name: str) -> bool | None:
        """A boolean ``<application>`` attribute: True/False when literal, None when absent or a reference."""
        value = self.application.get(name)
        if value is None:
            return None
        low = value.strip().lower()
        if low in ("true", "false"):
            return low == "true"
        return None


def local_name(tag: Any) -> str:
    """``{ns}uses-permission`` and ``android:uses-permission`` both become ``uses-permission``."""
    if not isinstance(tag, str):
        return ""
    if tag.startswith("{"):
        tag = tag.split("}", 1)[1]
    return str(tag.split(":", 1)[-1])


def attributes(element: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in element.attrib.items():
        out[local_name(key)] = str(value)
    return out


def _int_attr(value: str | None) -> int | None:
    if value is None:
        return None
    value = value.strip()
    try:
        return int(value, 16) if value.lower().startswith("0x") else int(value)
    except ValueError:
        return None


def _bool_attr(value: str | None) -> bool | None:
    if value is None:
        return None
    low = value.strip().lower()
    return {"true": True, "false": False}.get(low)


def class_name(package: str, name: str) -> str:
    if name.startswith("."):
        return package + name
    if "." not in name:
        return f"{package}.{name}"
    return name


_COMPONENT_TAGS = ("activity", "activity-alias", "service", "receiver", "provider")


def _xml_depth(raw: bytes, stop_at: int) -> int:
    """Deepest element nesting of a binary XML document, walking its chunk headers only (stops early)."""
    depth = deepest = 0
    offset, end = 8, len(raw)
    while offset + 8 <= end:
        kind, _header, size = struct.unpack_from("<HHI", raw, offset)
        if size < 8:
            break  # malformed: the reader reports it
        if kind == 0x0102:
            depth += 1
            deepest = max(deepest, depth)
            if deepest > stop_at:
                break
        elif kind == 0x0103:
            depth -= 1
        offset += size
    return deepest


def parse_manifest(raw: bytes) -> Manifest:
    """Decode a binary AndroidManifest.xml; raise IntakeError if it is not one."""
    from gate.apk.axml import AxmlError, parse

    if _xml_depth(raw, MAX_MANIFEST_DEPTH) > MAX_MANIFEST_DEPTH:
        raise unreadable(f"AndroidManifest.xml nests elements more than {MAX_MANIFEST_DEPTH} levels deep; a real "
                         "manifest nests 5 or 6, so this one was built to stall parsers and was not read.",
                         Evidence("file", MANIFEST, MANIFEST),
                         zh=f"AndroidManifest.xml 的元素嵌套超过 {MAX_MANIFEST_DEPTH} 层；正常清单只有 5 到 6 层，"
                            "此文件是为拖垮解析器而构造的，未予读取。")
    try:
        root = parse(raw)
    except AxmlError:
        root = None
    except MemoryError:
        raise  # the job hit its memory cap: the gate's failure, never "the APK is damaged"
    except Exception as exc:  # noqa: BLE001 - any parser failure means the manifest is unreadable
        raise unreadable(f"AndroidManifest.xml is not a valid binary XML document ({type(exc).__name__}).",
                         Evidence("file", MANIFEST, MANIFEST),
                         zh=f"AndroidManifest.xml 不是有效的二进制 XML 文档（{type(exc).__name__}）。") from None
    if root is None or local_name(root.tag) != "manifest":
        raise unreadable("AndroidManifest.xml is not a valid binary Android manifest: it could not be decoded "
                         "as Android binary XML with a <manifest> root.", Evidence("file", MANIFEST, MANIFEST),
                         zh="AndroidManifest.xml 不是有效的 Android 二进制清单："
                            "无法解码为以 <manifest> 为根的 Android 二进制 XML。")
    top = attributes(root)
    package = top.get("package", "").strip()
    if not package or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*", package):
        raise unreadable(f"AndroidManifest.xml declares no valid package name (found {package!r}).",
                         Evidence("manifest", package or "(none)", "AndroidManifest.xml <manifest package>"),
                         zh=f"AndroidManifest.xml 未声明有效的包名（实际为 {package!r}）。")

    min_sdk = target_sdk = None
    permissions: list[PermissionRequest] = []
    application: dict[str, str] = {}
    components: list[Component] = []
    meta_data: list[tuple[str, str]] = []
    for child in root:
        tag = local_name(child.tag)
        if tag == "uses-sdk":
            a = attributes(child)
            min_sdk = _int_attr(a.get("minSdkVersion"))
            target_sdk = _int_attr(a.get("targetSdkVersion"))
        elif tag in ("uses-permission", "uses-permission-sdk-23", "uses-permission-sdk-m"):
            a = attributes(child)
            name = a.get("name", "").strip()
            if name:
                raw_tag = child.tag.split("}", 1)[-1] if isinstance(child.tag, str) else tag
                written = f"android:{raw_tag}" if str(child.tag).startswith("{") else raw_tag
                permissions.append(PermissionRequest(name, written, _int_attr(a.get("maxSdkVersion"))))
        elif tag == "application":
            application = attributes(child)
            for comp in child:
                kind = local_name(comp.tag)
                if kind == "meta-data":
                    a = attributes(comp)
                    if a.get("name"):
                        meta_data.append((a["name"], a.get("value") or a.get("resource") or ""))
                    continue
                if kind not in _COMPONENT_TAGS:
                    continue
                a = attributes(comp)
                name = a.get("name") or a.get("targetActivity") or ""
                filters = []
                for flt in comp:
                    if local_name(flt.tag) != "intent-filter":
                        continue
                    actions, cats, schemes, mimes = [], [], [], []
                    for item in flt:
                        ia = attributes(item)
                        itag = local_name(item.tag)
                        if itag == "action" and "name" in ia:
                            actions.append(ia["name"])
                        elif itag == "category" and "name" in ia:
                            cats.append(ia["name"])
                        elif itag == "data":
                            if "scheme" in ia:
                                schemes.append(ia["scheme"])
                            if "mimeType" in ia:
                                mimes.append(ia["mimeType"])
                    filters.append(IntentFilter(tuple(actions), tuple(cats), tuple(schemes), tuple(mimes)))
                components.append(Component(
                    kind=kind, name=class_name(package, name) if name else "(unnamed)",
                    exported_attr=_bool_attr(a.get("exported")), permission=a.get("permission"),
                    read_permission=a.get("readPermission"), write_permission=a.get("writePermission"),
                    intent_filters=tuple(filters), attrs=a,
                ))
    return Manifest(
        package=package, version_code=_int_attr(top.get("versionCode")), version_name=top.get("versionName"),
        min_sdk=min_sdk, target_sdk_declared=target_sdk, permissions=tuple(permissions),
        application=application, components=tuple(components), meta_data=tuple(meta_data),
    )

