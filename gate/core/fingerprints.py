"""SDK fingerprints that survive an obfuscator's renaming of packages, and the renamed code they point at.

R8 and ProGuard rename an SDK's classes (``cn.jiguang.core.X`` becomes ``a.b.c.d``) but cannot rename what
lives outside the code or is only a string to it: the manifest's ``<meta-data>`` keys the SDK reads its app key
from (``JPUSH_APPKEY``), its manifest components (kept by the keep rules the build generates), its native
library (``System.loadLibrary("jcore221")``), and the hosts it reports to. This module finds, in the dex files:

- ``host``: a string constant naming one of the SDK's collection hosts (``https://stats.jpush.cn/...``);
- ``meta_read``: a string constant equal to one of the SDK's meta-data keys (the SDK reading its own key);
- ``lib_load``: a string constant of a method calling a ``loadLibrary`` that, as ``lib<name>.so``, is one of the
  SDK's native libraries.

Each is an ``Anchor``: the SDK, the kind, the constant and the class loading it. Only classes that are nobody
else's count (not the app's own roots, not another catalogue entry): an app linking to the vendor's web site
from its own code, or an open-source HTTP library listing hosts, is not the SDK.

Attribution of renamed code (``renamed_owners``): a class holding an anchor of a *detected* SDK is that SDK's;
so is every class of its package when the package's name is obfuscated (every segment one or two characters,
``a/b/c/``) and the anchors in that package agree on one SDK (by majority; a tie claims only the anchor
classes). A readable package (``com/foo/net/``) is never claimed whole: only its anchor classes are. The default
package is never claimed whole either: an obfuscator that flattens everything into it mixes the app with the
SDK. Known limit: when R8's ``-repackageclasses`` puts app and SDK classes into one obfuscated package, the
app's classes there are attributed to the SDK too; the evidence names the anchors, so a reviewer can see why.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from gate.apk.dex import DexFile
from gate.core.sdks import Catalogue, Detected, lib_matches

if TYPE_CHECKING:
    from gate.core.code import Code

# A fingerprint kind in the code; the manifest's own ``meta_data`` marker is read by sdks.detect.
CODE_KINDS = ("host", "meta_read", "lib_load")
# Enough classes per anchor kind and SDK for evidence; more says nothing new and costs time on big apps.
MAX_CLASSES = 20


@dataclass(frozen=True)
class Anchor:
    sdk: str
    kind: str  # host, meta_read, lib_load
    value: str  # the host, the meta-data key, or the library file name
    cls: str  # the class loading the constant (Lpkg/Cls;)
    text: str = ""  # the whole constant (the URL, for a host)
    free: bool = True  # the class is nobody's in the catalogue (renamed code), not the SDK's own package


def _host_scan(hosts: Iterable[str]) -> re.Pattern[bytes] | None:
    """The hosts as plain alternatives: the fast pass over a whole dex (no look-around, no case folding, as
    hosts in code are written in lower case); ``_host_regex`` then checks each hit's string."""
    names = sorted({h.lower() for h in hosts}, key=len, reverse=True)
    return re.compile(b"|".join(re.escape(h.encode()) for h in names)) if names else None


def _host_regex(hosts: Iterable[str]) -> re.Pattern[bytes] | None:
    """One pattern for every catalogue host, matched as a whole host name or a subdomain of it: ``jpush.cn``
    matches ``stats.jpush.cn`` and ``//jpush.cn/``, not ``notjpush.cn`` or ``jpush.cnn``."""
    names = sorted({h.lower() for h in hosts}, key=len, reverse=True)
    if not names:
        return None
    alts = b"|".join(re.escape(h.encode()) for h in names)
    return re.compile(rb"(?<![A-Za-z0-9-])(?:[A-Za-z0-9-]+\.)*(" + alts + rb")(?![A-Za-z0-9.-]*[A-Za-z0-9-])",
                      re.IGNORECASE)


def find(code: Code, cat: Catalogue) -> list[Anchor]:
    """Every anchor in the dex files: hosts and meta-data keys of the entries that declare them, library loads
    of every entry with native libraries."""
    hosts: dict[str, list[str]] = {}
    keys: dict[str, list[str]] = {}
    libs: list[tuple[str, str]] = []
    for sdk in cat.sdks.values():
        for h in sdk.hosts:
            hosts.setdefault(h.lower(), []).append(sdk.id)
        for k in sdk.meta_data:
            keys.setdefault(k, []).append(sdk.id)
        libs += [(sdk.id, p) for p in sdk.native_libs]
    regex, scan = _host_regex(hosts), _host_scan(hosts)
    out: list[Anchor] = []
    for d in code.dexes:
        wanted: dict[int, list[tuple[str, str, str]]] = {}  # string index → (sdk, kind, value)
        if regex is not None and scan is not None:
            for idx, host in _host_strings(d, scan, regex):
                for sdk_id in hosts[host]:
                    wanted.setdefault(idx, []).append((sdk_id, "host", host))
        for key, owners in keys.items():
            kidx = d.find_string(key)
            if kidx is not None:
                wanted.setdefault(kidx, []).extend((s, "meta_read", key) for s in owners)
        for idx, name in _loaded_libraries(d):
            for sdk_id, pattern in libs:
                if lib_matches(pattern, name):
                    wanted.setdefault(idx, []).append((sdk_id, "lib_load", name))
        if not wanted:
            continue
        seen: Counter[tuple[str, str]] = Counter()
        for pos, insns in d.find_const_strings(wanted).items():
            cls = d.method_signature(d.code[2][pos]).split("->", 1)[0]
            if code.owner(cls)[0] in ("app", "library"):
                continue
            for insn in insns:
                for sdk_id, kind, value in wanted.get(insn.index, ()):
                    if code.cat.owner(cls) not in (None, ("sdk", sdk_id)) or seen[(sdk_id, kind)] >= MAX_CLASSES:
                        continue  # another SDK's or library's class naming the host is not this SDK
                    seen[(sdk_id, kind)] += 1
                    out.append(Anchor(sdk_id, kind, value, cls, d.string(insn.index), code.cat.owner(cls) is None))
    return list(dict.fromkeys(out))


def _host_strings(d: DexFile, scan: re.Pattern[bytes], regex: re.Pattern[bytes]) -> list[tuple[int, str]]:
    """(string index, catalogue host) for each string of a dex naming a host: one pass of the pattern over
    the file's bytes (not one decode per string: a big dex has 100,000 of them), each hit mapped to the string
    whose data holds it and checked on the decoded string."""
    offs = np.frombuffer(d._string_offs, dtype=np.uint32)
    if not len(offs):
        return []
    order = np.argsort(offs, kind="stable")  # string data is laid out in id order, but need not be
    starts = offs[order]
    lo = int(starts[0])
    hi = d.data.find(b"\x00", int(starts[-1])) + 1 or len(d.data)
    found: dict[int, str] = {}
    for m in scan.finditer(d.data, lo, hi):
        slot = int(np.searchsorted(starts, m.start(), side="right")) - 1
        if slot < 0:
            continue
        idx = int(order[slot])
        if idx in found:
            continue
        hit = regex.search(d.string(idx).encode("utf-8", "replace"))
        if hit:
            found[idx] = hit.group(1).decode().lower()
    return sorted(found.items())


# Classes whose loadLibrary(name) loads lib<name>.so: the platform's and the common loader libraries'.
LOADERS = ("Ljava/lang/System;", "Ljava/lang/Runtime;", "Lcom/getkeepsafe/relinker/ReLinker;",
           "Lcom/facebook/soloader/SoLoader;")


def _loaded_libraries(d: DexFile) -> list[tuple[int, str]]:
    """(string index, ``lib<name>.so``) for each string constant of a method that calls a ``loadLibrary``: the
    callers are found by their invokes, not by every string that happens to spell a library (``bmob`` is a
    word too)."""
    targets = [m for cls in LOADERS if (t := d.find_type(cls)) is not None
               for m in d.methods_named(t).get("loadLibrary", ())]
    out: dict[int, str] = {}
    for pos in d.find_invokes(targets):
        for insn in d.instructions(pos):
            if insn.op == 0x1A and insn.index not in out:
                text = d.string(insn.index)
                if 0 < len(text) <= 64 and "/" not in text and " " not in text:
                    out[insn.index] = f"lib{text}.so"
    return sorted(out.items())


def _package(cls: str) -> str:
    return cls[: cls.rfind("/") + 1] if "/" in cls else ""


def _obfuscated(package: str) -> bool:
    parts = package[1:-1].split("/") if package.startswith("L") and package.endswith("/") else []
    return bool(parts) and all(0 < len(p) <= 2 for p in parts)


def renamed_owners(anchors: Iterable[Anchor], detected: Iterable[str]) -> tuple[dict[str, str], dict[str, str]]:
    """(package prefix → SDK id, class → SDK id) for the renamed code of the detected SDKs; see the module."""
    keep = set(detected)
    by_class: dict[str, str] = {}
    votes: dict[str, Counter[str]] = {}
    for a in anchors:
        if a.sdk not in keep or not a.free:
            continue
        by_class.setdefault(a.cls, a.sdk)
        pkg = _package(a.cls)
        if _obfuscated(pkg):
            votes.setdefault(pkg, Counter())[a.sdk] += 1
    packages: dict[str, str] = {}
    for pkg, counter in votes.items():
        ranked = counter.most_common(2)
        if len(ranked) == 1 or ranked[0][1] > ranked[1][1]:
            packages[pkg] = ranked[0][0]
    return packages, by_class


def with_renamed(detected: list[Detected], code: Code) -> list[Detected]:
    """The inventory with, for each SDK that owns renamed code, one evidence item naming it: the obfuscated
    packages and classes now attributed to it, and how many classes they hold."""
    out = []
    for d in detected:
        packages = sorted(p for p, s in code.renamed_packages.items() if s == d.sdk.id)
        singles = sorted(c for c, s in code.renamed_classes.items()
                         if s == d.sdk.id and c[: c.rfind("/") + 1] not in packages)
        if not packages and not singles:
            out.append(d)
            continue
        count = sum(1 for p in packages for c in code.classes_with_prefix(p)
                    if "/" not in c[len(p):] and code.owner(c) == ("sdk", d.sdk.id)) + len(singles)
        names = [p[1:-1].replace("/", ".") + ".*" for p in packages] + [c[1:-1].replace("/", ".") for c in singles]
        item = {"kind": "sdk", "value": f"renamed code {', '.join(names[:5])} ({count} classes) attributed by its "
                                        "fingerprints", "location": (packages or singles)[0], "sdk": d.sdk.id,
                "marker": "renamed", "packages": names}
        out.append(Detected(sdk=d.sdk, evidence=(*d.evidence, item)))
    return out
