"""Code analysis over all dex files of one APK: sensitive call sites, who makes them, and what runs
before consent.

Call sites are attributed to the class that makes them: a vendor SDK of the catalogue, the app itself, or
an open-source library. A call inside a library (AndroidX's TelephonyManagerCompat, AppCompat's
TwilightManager) is a wrapper, not a collector: it is followed to the SDK or app code that calls it, and
reported there with the wrapper in ``via``; library code that nobody else calls is not counted.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from typing import TYPE_CHECKING

from gate.apk.dex import INSN_LEN, INVOKE_OPS, NEW_INSTANCE, STATIC_GET_OPS, DexError, DexFile
from gate.core.sdks import Catalogue

if TYPE_CHECKING:
    from gate.core.constprop import Hidden

# Settings.Secure/System.getString are device-id reads only with the "android_id" key.
KEYED_APIS = {
    "Landroid/provider/Settings$Secure;->getString(Landroid/content/ContentResolver;Ljava/lang/String;)Ljava/lang/String;":
        "android_id",
    "Landroid/provider/Settings$System;->getString(Landroid/content/ContentResolver;Ljava/lang/String;)Ljava/lang/String;":
        "android_id",
}
WRAPPER_DEPTH = 3
MAX_REACHABLE = 30_000
MAX_DEPTH = 25
# When a reached method creates an object of an app class, these of its methods can run (threads, tasks).
CALLBACKS = ("<clinit>", "run", "call", "handleMessage")
_PROTOS = {"<clinit>": "()V", "run": "()V", "call": "()Ljava/lang/Object;", "handleMessage": "(Landroid/os/Message;)V"}
# Objects handed to a thread, a Handler or an executor. A virtual call on such a type reaches an override of an
# app subclass only once the walk has seen that subclass created: a task created on another path (a button's
# handler) and run through a shared base class is not a step of this path.
ASYNC_ROOTS = ("Ljava/lang/Runnable;", "Ljava/util/concurrent/Callable;", "Ljava/lang/Thread;",
               "Landroid/os/Handler;", "Ljava/util/TimerTask;", "Landroid/os/AsyncTask;",
               "Landroid/os/Handler$Callback;")
VIRTUAL_OPS = frozenset({0x6E, 0x72, 0x74, 0x78})
_NO_OVERRIDES: dict[tuple[int, int], int] = {}


@dataclass(frozen=True)
class CallSite:
    caller: str  # Lpkg/Cls;->method(args)ret
    api: str  # the framework API, as in sensitive_apis.json
    category: str
    dex: str
    via: tuple[str, ...] = ()  # library wrappers between the caller and the API
    # How the call is made: "api" (by name), "reflection" (a resolved reflective call: ``api`` is the API
    # reached), "command" (a shell command: ``api`` is the command line), "file" (``api`` is the path).
    kind: str = "api"
    how: str = ""  # where the resolved name came from (constant pieces, static fields, helper arguments)
    through: str = ""  # the Java API that made the hidden call (Method.invoke, Runtime.exec, FileReader, ...)
    target: str = ""  # the resolved key or property name (Settings key, SystemProperties name)
    helper: str = ""  # the helper method the name was passed through

    @property
    def caller_class(self) -> str:
        return self.caller.split("->", 1)[0]


@dataclass(frozen=True)
class Chain:
    """A path from an entry point (Application.onCreate, ...) to a sensitive API."""

    methods: tuple[str, ...]  # entry first, the method making the call last
    api: str
    category: str


def split_signature(sig: str) -> tuple[str, str, str]:
    """``Lcls;->name(args)ret`` → (class, name, proto); fields ``Lcls;->NAME:type`` → (class, NAME, :type)."""
    cls, rest = sig.split("->", 1)
    if "(" in rest:
        name, proto = rest.split("(", 1)
        return cls, name, "(" + proto
    name, typ = rest.split(":", 1)
    return cls, name, ":" + typ


def _desc_prefix(package: str) -> str:
    return "L" + package.replace(".", "/").strip("/") + "/"


OBFUSCATED = "(obfuscated or default-package classes)"


def third_party_root(class_desc: str) -> str:
    """The package root that names unidentified third-party code: the first three package segments
    (``com.vendor.ads``), fewer for a shallow package. Obfuscated roots (a one-letter first segment, or a
    single short segment such as ``ar``) and the default package are one root, OBFUSCATED: their names say
    nothing of who wrote them."""
    inner = class_desc[1:-1] if class_desc.startswith("L") and class_desc.endswith(";") else class_desc
    parts = inner.split("/")[:-1]
    if not parts or len(parts[0]) == 1 or (len(parts) == 1 and len(parts[0]) <= 3):
        return OBFUSCATED
    return ".".join(parts[:3])


# Namespaces of the platform itself: an app's classes there imitate (or stub) system code, they are no vendor's.
PLATFORM_ROOTS = ("Landroid/", "Ljava/", "Ljavax/", "Ldalvik/", "Lcom/android/internal/", "Lsun/", "Llibcore/")


class Code:
    def __init__(self, dexes: list[DexFile], catalogue: Catalogue, app_package: str = "",
                 app_roots: Iterable[str] = ()) -> None:
        """``app_roots``: further packages of the app's own code (its Application class's package, the package of
        an obfuscated one-letter root that holds its manifest components); the package name always is one."""
        self.dexes = dexes
        self.cat = catalogue
        self.app_prefix = _desc_prefix(app_package) if app_package else None
        roots = {_desc_prefix(r) for r in (app_package, *app_roots) if r}
        self.app_prefixes = tuple(sorted(roots))
        # Renamed SDK code found by its fingerprints (gate.core.fingerprints): obfuscated package → SDK id,
        # and single classes → SDK id. Set once, before any call site is attributed.
        self.renamed_packages: dict[str, str] = {}
        self.renamed_classes: dict[str, str] = {}

    def is_own(self, class_desc: str) -> bool:
        """Whether a class lies under one of the app's own package roots."""
        return class_desc.startswith(self.app_prefixes) if self.app_prefixes else False

    def owner(self, class_desc: str) -> tuple[str, str]:
        """("app", ""), ("sdk", id), ("library", id) or ("third_party", root). Only code under the app's own roots
        is the app's; they are never an SDK's, even under a vendor prefix (a vendor's demo app). Code outside
        them and outside the catalogue is unidentified third-party code, named by its package root."""
        if self.is_own(class_desc):
            return ("app", "")
        hit = self.cat.owner(class_desc)
        if hit:
            return hit
        if self.renamed_classes or self.renamed_packages:
            sdk = self.renamed_classes.get(class_desc) or \
                self.renamed_packages.get(class_desc[: class_desc.rfind("/") + 1])
            if sdk:
                return ("sdk", sdk)
        return ("third_party", third_party_root(class_desc))

    def third_party_roots(self) -> dict[str, int]:
        """Unidentified third-party package roots (outside the app's roots and the catalogue) → class count."""
        out: dict[str, int] = {}
        for desc in self.class_names:
            if desc.startswith(PLATFORM_ROOTS):
                continue  # classes an app defines in the platform's namespaces are DEC-SYSTEM-NAMESPACE's concern
            kind, root = self.owner(desc)
            if kind == "third_party":
                out[root] = out.get(root, 0) + 1
        return out

    def is_library(self, class_desc: str) -> bool:
        return self.owner(class_desc)[0] == "library"

    @cached_property
    def class_names(self) -> list[str]:
        """Every defined class descriptor, sorted (for prefix look-ups)."""
        return sorted(self.classes)

    def classes_with_prefix(self, prefix: str) -> list[str]:
        names = self.class_names
        lo = bisect_left(names, prefix)
        hi = bisect_left(names, prefix + "\uffff", lo)
        return names[lo:hi]

    def methods_with_string(self, text: str) -> list[str]:
        """Methods that load the string constant ``text``."""
        out = []
        for d in self.dexes:
            sidx = d.find_string(text)
            if sidx is None:
                continue
            for pos in d.find_const_strings([sidx]):
                out.append(d.method_signature(d.code[2][pos]))
        return out

    def strings_in(self, method: str) -> list[str]:
        """The string constants one method loads."""
        cls, member = method.split("->", 1)
        where = self._locate(cls, member)
        if where is None:
            return []
        d = self.dexes[where[0]]
        return [d.string(i.index) for i in d.instructions(where[1]) if i.op in (0x1A, 0x1B)]

    def invokes_in(self, method: str) -> list[str]:
        """The method references one method invokes (``Lcls;->name(args)ret``), in order."""
        cls, member = method.split("->", 1)
        where = self._locate(cls, member)
        if where is None:
            return []
        d = self.dexes[where[0]]
        return [d.method_signature(i.index) for i in d.instructions(where[1]) if i.op in INVOKE_OPS]

    def classes_in(self, method: str) -> list[str]:
        """The classes one method names with ``const-class`` (a ComponentName built from a class object)."""
        cls, member = method.split("->", 1)
        where = self._locate(cls, member)
        if where is None:
            return []
        d = self.dexes[where[0]]
        return [d.type_name(i.index) for i in d.instructions(where[1]) if i.op == 0x1C]

    def opcodes(self, method: str) -> tuple[frozenset[int], frozenset[int]]:
        """(the opcodes of one method, the literals of its const/4 and const/16 instructions): enough to see
        an XOR loop over a byte array or a window type constant without decoding registers."""
        cls, member = method.split("->", 1)
        where = self._locate(cls, member)
        if where is None:
            return frozenset(), frozenset()
        d = self.dexes[where[0]]
        starts, ends, _ = d.code
        data = d.data
        pc, end = starts[where[1]], ends[where[1]]
        ops: set[int] = set()
        literals: set[int] = set()
        while pc < end:
            op = data[pc]
            if op == 0 and pc + 1 < end and 1 <= data[pc + 1] <= 3:
                break  # payloads follow the last instruction
            ops.add(op)
            if op == 0x12:  # const/4 vA, #+B
                lit = data[pc + 1] >> 4
                literals.add(lit - 16 if lit > 7 else lit)
            elif op == 0x13 and pc + 4 <= end:  # const/16 vAA, #+BBBB
                literals.add(int.from_bytes(data[pc + 2: pc + 4], "little", signed=True))
            pc += 2 * INSN_LEN[op]
        return frozenset(ops), frozenset(literals)

    def defines(self, method: str) -> bool:
        """Whether ``Lcls;->name(proto)`` has a body in the app's dex (its own or an app superclass's)."""
        cls, member = method.split("->", 1)
        return self._locate(cls, member) is not None

    # -- classes --------------------------------------------------------------------------------

    @cached_property
    def classes(self) -> dict[str, tuple[int, int]]:
        """Defined class descriptor → (dex index, class_defs position); the first dex that defines it wins."""
        out: dict[str, tuple[int, int]] = {}
        for di, d in enumerate(self.dexes):
            for ci, row in enumerate(d.class_defs):
                out.setdefault(d.type_name(row[0]), (di, ci))
        return out

    def superclass(self, desc: str) -> str | None:
        where = self.classes.get(desc)
        if where is None:
            return None
        d = self.dexes[where[0]]
        sup = d.class_defs[where[1]][1]
        return None if sup == 0xFFFFFFFF else d.type_name(sup)

    @cached_property
    def _subtypes(self) -> dict[str, list[str]]:
        """Class or interface descriptor → defined classes that extend or implement it directly."""
        out: dict[str, list[str]] = {}
        for desc, (di, ci) in self.classes.items():
            d = self.dexes[di]
            t, sup, ifaces, _ = d.class_defs[ci]
            parents = [] if sup == 0xFFFFFFFF else [d.type_name(sup)]
            parents += [d.type_name(i) for i in d.interfaces(ifaces)]
            for parent in parents:
                out.setdefault(parent, []).append(desc)
        return out

    def subtypes(self, desc: str) -> list[str]:
        """Every defined class below ``desc`` (transitively)."""
        seen: list[str] = []
        todo = list(self._subtypes.get(desc, ()))
        while todo and len(seen) < 10_000:
            cur = todo.pop()
            if cur in seen:
                continue
            seen.append(cur)
            todo.extend(self._subtypes.get(cur, ()))
        return seen

    # -- call sites -----------------------------------------------------------------------------

    def _resolve(self, d: DexFile, signatures: Mapping[str, str]) -> tuple[dict[int, str], dict[int, str]]:
        """Method and field indices in ``d`` that denote one of ``signatures`` (also through subclasses).

        The dex remembers each resolution: the checks ask for overlapping sets (the sensitive APIs for the
        call sites, most of them again for the pre-consent walk)."""
        methods: dict[int, str] = {}
        fields: dict[int, str] = {}
        for sig in signatures:
            cls, name, proto = split_signature(sig)
            table = fields if proto.startswith(":") else methods
            for index in d.denoting(cls, name, proto):
                table[index] = sig
        return methods, fields

    def _has_key(self, d: DexFile, pos: int, key: str) -> bool:
        sidx = d.find_string(key)
        return sidx is not None and any(i.op in (0x1A, 0x1B) and i.index == sidx for i in d.instructions(pos))

    def raw_calls(self, signatures: Mapping[str, str]) -> list[CallSite]:
        """Every instruction calling (or reading) one of ``signatures`` → its category, in any class."""
        out: list[CallSite] = []
        for d in self.dexes:
            methods, fields = self._resolve(d, signatures)
            code_methods = d.code[2]
            for found, table in ((d.find_invokes(methods), methods), (d.find_field_reads(fields), fields)):
                for pos, insns in found.items():
                    caller = d.method_signature(code_methods[pos])
                    for api in dict.fromkeys(table[i.index] for i in insns):
                        key = KEYED_APIS.get(api)
                        if key and not self._has_key(d, pos, key):
                            continue
                        out.append(CallSite(caller=caller, api=api, category=signatures[api], dex=d.name))
        return out

    def calls(self, signatures: Mapping[str, str]) -> tuple[list[CallSite], list[CallSite]]:
        """(call sites in SDK or app code, call sites only inside open-source libraries).

        A library call site is followed up to its callers outside libraries, which become the call sites.
        """
        direct = self.raw_calls(signatures)
        seen = {(c.caller, c.api) for c in direct}
        direct += [c for c in self.hidden_calls(signatures) if (c.caller, c.api) not in seen]
        counted = [c for c in direct if not self.is_library(c.caller_class)]
        pending = [c for c in direct if self.is_library(c.caller_class)]
        library_only: list[CallSite] = []
        for _ in range(WRAPPER_DEPTH):
            if not pending:
                break
            wrappers = {c.caller: c for c in pending}
            callers = self.raw_calls({w: c.category for w, c in wrappers.items()})
            reached: set[str] = set()
            nxt: list[CallSite] = []
            for site in callers:
                inner = wrappers[site.api]
                reached.add(site.api)
                lifted = replace(inner, caller=site.caller, dex=site.dex, via=(inner.caller, *inner.via))
                (nxt if self.is_library(site.caller_class) else counted).append(lifted)
            library_only += [c for w, c in wrappers.items() if w not in reached]
            pending = nxt
        library_only += pending
        return _unique(counted), _unique(library_only)

    # -- hidden calls: reflection, shell commands, file reads (gate.core.constprop) -----------------

    @cached_property
    def hidden(self) -> list[Hidden]:
        """Every reflective, shell, file, Settings and SystemProperties call whose names resolved."""
        from gate.core.constprop import Analyzer

        return Analyzer(self.dexes).hidden()

    def _hidden_sites(self, signatures: Mapping[str, str]) -> list[tuple[Hidden, CallSite]]:
        from gate.core.constprop import SYSPROP, identify

        by_member: dict[tuple[str, str], str] = {}
        for sig in signatures:
            cls, name, _ = split_signature(sig)
            by_member.setdefault((cls, name), sig)
        categories = set(signatures.values())
        out: list[tuple[Hidden, CallSite]] = []
        for h in self.hidden:

            def site(api: str, category: str, kind: str = "api", target: str = "", h: Hidden = h) -> CallSite:
                return CallSite(caller=h.caller, api=api, category=category, dex=h.dex, kind=kind, how=h.how,
                                through=h.api, target=target, helper=h.helper or "")

            if h.kind in ("method", "field"):
                cls, name = h.target.split("->", 1)
                api = by_member.get((cls, name))
                if api is not None:
                    out.append((h, site(api, signatures[api], "reflection")))
            elif h.kind == "setting":
                key = KEYED_APIS.get(h.api)
                if key and h.target == key and h.api in signatures:
                    out.append((h, site(h.api, signatures[h.api], target=h.target)))
            elif h.kind in ("property", "command", "file"):
                section = {"property": "properties", "command": "commands", "file": "files"}[h.kind]
                source = identify(section, h.target)
                if source is None or source.category not in categories:
                    continue
                if h.kind == "property":
                    kind = "reflection" if h.reflective else "api"
                    out.append((h, site(SYSPROP[0], source.category, kind, h.target)))
                else:
                    out.append((h, site(h.target, source.category, h.kind)))
        return out

    def hidden_calls(self, signatures: Mapping[str, str]) -> list[CallSite]:
        """Hidden call sites reaching one of ``signatures`` (by reflection, or a Settings key built at run
        time), or an identifying property, command or file of one of their categories."""
        return _unique([site for _, site in self._hidden_sites(signatures)])

    def instructions_calling(self, signatures: Iterable[str]) -> list[tuple[str, str]]:
        """(caller, callee) pairs for arbitrary framework methods (class loaders, installers, ...)."""
        return [(c.caller, c.api) for c in self.raw_calls({s: "" for s in signatures})]

    def new_instances(self, descriptors: Iterable[str]) -> list[tuple[str, str]]:
        """(method, class) pairs where code creates an object of one of ``descriptors``."""
        wanted = set(descriptors)
        out = []
        for d in self.dexes:
            types = {t: desc for desc in wanted if (t := d.find_type(desc)) is not None}
            if not types:
                continue
            # constructors of these classes are method refs; their invokes mark the creation sites
            ctors = [m for t in types for m in d.methods_of_type(t) if d.method_name(m) == "<init>"]
            for pos, insns in d.find_invokes(ctors).items():
                caller = d.method_signature(d.code[2][pos])
                for insn in insns:
                    out.append((caller, d.type_name(d.method_class(insn.index))))
        return list(dict.fromkeys(out))

    # -- what runs before consent ---------------------------------------------------------------

    @cached_property
    def _locate_cache(self) -> dict[tuple[str, str], tuple[int, int] | None]:
        return {}

    def _locate(self, cls: str, member: str) -> tuple[int, int] | None:
        """(dex index, code position) of ``cls`` ``member`` or of the nearest app superclass defining it."""
        key = (cls, member)
        if key not in self._locate_cache:
            self._locate_cache[key] = self._locate_uncached(cls, member)
        return self._locate_cache[key]

    def _locate_uncached(self, cls: str, member: str) -> tuple[int, int] | None:
        name, proto = member.split("(", 1)
        proto = "(" + proto
        hops = 0
        current: str | None = cls
        while current and hops < 20:
            where = self.classes.get(current)
            if where is None:
                return None
            d = self.dexes[where[0]]
            midx = d.find_method(current, name, proto)
            if midx is not None:
                pos = d.code_of_method.get(midx)
                if pos is not None:
                    return where[0], pos
            current = self.superclass(current)
            hops += 1
        return None

    def reachable_calls(self, entries: Iterable[str], signatures: Mapping[str, str],
                        max_depth: int = MAX_DEPTH) -> tuple[list[Chain], bool]:
        """Sensitive APIs reachable from ``entries`` (method signatures), with the shortest chain to each.

        ``max_depth`` bounds the number of calls between an entry and the method making the call.

        Returns the chains and whether the search stopped at its size limit. Breadth-first over the exact
        instruction stream of each visited method; callees are resolved by integer keys inside a dex and
        by name only across dex files.
        """
        targets_by_dex = [self._resolve(d, signatures) for d in self.dexes]
        dex_index = {d.name: i for i, d in enumerate(self.dexes)}
        # resolved reflection: a sink where it reaches a sensitive API, an edge where it reaches app code
        hidden_sinks: dict[tuple[int, int], list[CallSite]] = {}
        for h, site in self._hidden_sites(signatures):
            if h.position >= 0 and h.dex in dex_index:
                hidden_sinks.setdefault((dex_index[h.dex], h.position), []).append(site)
        hidden_edges: dict[tuple[int, int], list[tuple[int, int]]] = {}
        for h in self.hidden:
            if h.kind == "method" and h.position >= 0 and h.dex in dex_index:
                cls, name = h.target.split("->", 1)
                for body in self._bodies_named(cls, name):
                    hidden_edges.setdefault((dex_index[h.dex], h.position), []).append(body)
        parent: dict[tuple[int, int], tuple[int, int] | None] = {}
        queue: deque[tuple[tuple[int, int], int]] = deque()
        for entry in entries:
            cls, member = entry.split("->", 1)
            node = self._locate(cls, member)
            if node is not None and node not in parent:
                parent[node] = None
                queue.append((node, 0))
        found: dict[tuple[str, tuple[int, int]], str] = {}
        truncated = False
        created: set[tuple[int, int]] = set()  # (dex, type) instantiated by a visited method
        # overrides in async subclasses not yet seen created: (dex, subclass) -> ([(body, caller)], depth)
        waiting: dict[tuple[int, int], list[tuple[list[tuple[tuple[int, int], tuple[int, int]]], int]]] = {}
        while queue:
            node, depth = queue.popleft()
            di, pos = node
            d = self.dexes[di]
            methods, fields = targets_by_dex[di]
            for site in hidden_sinks.get(node, ()):
                found.setdefault((site.api, node), site.category)
            for nxt in hidden_edges.get(node, ()) if depth < MAX_DEPTH else ():
                if nxt not in parent and len(parent) < MAX_REACHABLE:
                    parent[nxt] = node
                    queue.append((nxt, depth + 1))
            for op, index in d.refs(pos):
                api = methods.get(index) if op in INVOKE_OPS else fields.get(index) if op in STATIC_GET_OPS else None
                if api is not None:
                    if (api, node) not in found:
                        key = KEYED_APIS.get(api)
                        if not key or self._has_key(d, pos, key):
                            found[(api, node)] = signatures[api]
                    continue
                if op == NEW_INSTANCE:  # the object exists from here on: release what waited for it
                    for t in self._with_supertypes(di, index):
                        created.add((di, t))
                        for held, held_depth in waiting.pop((di, t), ()):
                            for nxt, via in held:
                                if nxt not in parent and len(parent) < MAX_REACHABLE:
                                    parent[nxt] = via
                                    queue.append((nxt, held_depth))
                if depth >= max_depth:
                    continue
                async_subs = self._async_overrides(di, op, index) if op in VIRTUAL_OPS else _NO_OVERRIDES
                for nxt in self._successors(di, op, index):
                    sub = async_subs.get(nxt)
                    if sub is not None and (di, sub) not in created:
                        waiting.setdefault((di, sub), []).append(([(nxt, node)], depth + 1))
                        continue
                    if nxt not in parent:
                        if len(parent) >= MAX_REACHABLE:
                            truncated = True
                            continue
                        parent[nxt] = node
                        queue.append((nxt, depth + 1))
        chains = []
        for (api, node), category in found.items():
            path: list[str] = []
            cur: tuple[int, int] | None = node
            while cur is not None:
                path.append(self._signature(cur))
                cur = parent[cur]
            chains.append(Chain(methods=tuple(reversed(path)), api=api, category=category))
        return chains, truncated

    @cached_property
    def _async_types(self) -> list[frozenset[int]]:
        """Per dex, the classes defined there that descend from a thread, task or Handler type."""
        out = []
        for d in self.dexes:
            types: set[int] = set()
            for root in ASYNC_ROOTS:
                t = d.find_type(root)
                if t is not None:
                    types.update(d.subtypes(t))
            out.append(frozenset(types))
        return out

    @cached_property
    def _async_cache(self) -> dict[tuple[int, int, int], dict[tuple[int, int], int]]:
        return {}

    def _async_overrides(self, di: int, op: int, index: int) -> dict[tuple[int, int], int]:
        """For a virtual or interface call, the override bodies in async subclasses, with the subclass."""
        if op not in VIRTUAL_OPS or not self._async_types[di]:
            return {}
        key = (di, op, index)
        cached = self._async_cache.get(key)
        if cached is None:
            cached = self._async_cache[key] = self._compute_async_overrides(di, index)
        return cached

    def _compute_async_overrides(self, di: int, index: int) -> dict[tuple[int, int], int]:
        d = self.dexes[di]
        asyncs = self._async_types[di]
        type_idx, name, proto = d.method_parts(index)
        out: dict[tuple[int, int], int] = {}
        for sub in d.subtypes(type_idx)[:50]:
            if sub in asyncs:
                midx = d.method_keys.get(d.method_key(sub, name, proto))
                if midx is not None and (pos := d.code_of_method.get(midx)) is not None:
                    out[(di, pos)] = sub
        return out

    def _with_supertypes(self, di: int, type_idx: int) -> list[int]:
        """A created type and its superclasses defined in the dex: an instance runs their overrides too."""
        d = self.dexes[di]
        out: list[int] = []
        t: int | None = type_idx
        for _ in range(30):
            if t is None or t in out:
                break
            out.append(t)
            t = d.superclass_of.get(t)
        return out

    def _bodies_named(self, cls: str, name: str) -> list[tuple[int, int]]:
        """Code of every method ``name`` (any parameters) of a class defined in the APK (reflection gives
        the name, not always the parameter types)."""
        where = self.classes.get(cls)
        if where is None:
            return []
        d = self.dexes[where[0]]
        t = d.class_defs[where[1]][0]
        return [(where[0], pos) for midx in d.methods_named(t).get(name, ())
                if (pos := d.code_of_method.get(midx)) is not None]

    def paths_between(self, sources: Iterable[str], targets: Iterable[str], max_depth: int = MAX_DEPTH,
                      limit: int = 5_000) -> list[tuple[str, ...]]:
        """The shortest call path from each of ``sources`` to each of ``targets`` it reaches (app methods; a
        source that is a target is a path of one), entry first.

        Walks callers backwards from all targets at once, one ``raw_calls`` per level, which is cheap when the
        targets are few and the sources many (the forward walk from every receiver and service of a large app
        visits tens of thousands of methods), then forwards from each source over the edges found. Callers are
        direct invokes (through subclasses, as ``raw_calls``) and, for ``run``/``call``/``handleMessage``, the
        methods that create the object."""
        wanted = set(sources)
        goals = list(dict.fromkeys(targets))
        edges: dict[str, set[str]] = {}  # caller -> callees on the way to a target
        seen = set(goals)
        frontier = list(goals)
        for _ in range(max_depth):
            if not frontier or len(seen) > limit:
                break
            step = [(c.caller, c.api) for c in self.raw_calls({m: "" for m in frontier})]
            for callee in frontier:
                cls, member = callee.split("->", 1)
                if member.split("(", 1)[0] in ("run", "call", "handleMessage"):
                    step += [(creator, callee) for creator, _ in self.new_instances([cls])]
            frontier = []
            for caller, callee in step:
                edges.setdefault(caller, set()).add(callee)
                if caller not in seen:
                    seen.add(caller)
                    frontier.append(caller)
        goal_set = set(goals)
        found: list[tuple[str, ...]] = []
        for source in sorted(wanted & seen):
            parent: dict[str, str | None] = {source: None}
            queue = deque([source])
            while queue:
                cur = queue.popleft()
                if cur in goal_set:
                    path = [cur]
                    while (prev := parent[path[-1]]) is not None:
                        path.append(prev)
                    found.append(tuple(reversed(path)))
                for nxt in sorted(edges.get(cur, ())):
                    if nxt not in parent:
                        parent[nxt] = cur
                        queue.append(nxt)
        return found

    def _signature(self, node: tuple[int, int]) -> str:
        d = self.dexes[node[0]]
        return d.method_signature(d.code[2][node[1]])

    @cached_property
    def _succ_cache(self) -> dict[tuple[int, int, int], list[tuple[int, int]]]:
        return {}

    def _successors(self, di: int, op: int, index: int) -> list[tuple[int, int]]:
        key = (di, op, index)
        cached = self._succ_cache.get(key)
        if cached is None:
            try:
                cached = self._compute_successors(di, op, index)
            except DexError:
                cached = []
            self._succ_cache[key] = cached
        return cached

    def _in_dex(self, di: int, type_idx: int, name: int, proto: int) -> tuple[int, int] | None:
        """The body of ``type.name(proto)`` or of the nearest superclass defining it, within one dex."""
        d = self.dexes[di]
        keys = d.method_keys
        t: int | None = type_idx
        for _ in range(30):
            if t is None:
                return None
            midx = keys.get(d.method_key(t, name, proto))
            if midx is not None:
                pos = d.code_of_method.get(midx)
                if pos is not None:
                    return di, pos
            t = d.superclass_of.get(t)
        return None

    def _implicit(self, di: int, type_idx: int, members: tuple[str, ...]) -> list[tuple[int, int]]:
        """Bodies of members that run implicitly (class initialiser, run/call/handleMessage) of a class,
        inherited from app superclasses too. By integers within the dex; by name across dex files."""
        d = self.dexes[di]
        if type_idx not in d.defined_types:
            desc = d.type_name(type_idx)
            if desc not in self.classes:
                return []
            return [found for m in members if (found := self._locate(desc, m + _PROTOS[m]))]
        out: list[tuple[int, int]] = []
        for member in members:
            t: int | None = type_idx
            for _ in range(30):
                if t is None:
                    break
                pos = d.lifecycle.get(t, {}).get(member)
                if pos is not None:
                    out.append((di, pos))
                    break
                if member == "<clinit>":
                    break  # a class initialiser is never inherited
                t = d.superclass_of.get(t)
        return out

    def _compute_successors(self, di: int, op: int, index: int) -> list[tuple[int, int]]:
        d = self.dexes[di]
        out: list[tuple[int, int]] = []
        if op in INVOKE_OPS:
            type_idx, name, proto = d.method_parts(index)
            if type_idx in d.defined_types:
                found = self._in_dex(di, type_idx, name, proto)
            else:  # defined in another dex of the APK, or a framework class
                desc = d.type_name(type_idx)
                if desc not in self.classes:
                    return out
                found = self._locate(desc, d.method_signature(index).split("->", 1)[1])
            if found:
                out.append(found)
            if op in (0x71, 0x77):  # invoke-static: the class initialiser runs first
                out += self._implicit(di, type_idx, ("<clinit>",))
            elif op in (0x6E, 0x72, 0x74, 0x78):  # virtual / interface: overrides in app subclasses
                for sub in d.subtypes(type_idx)[:50]:
                    midx = d.method_keys.get(d.method_key(sub, name, proto))
                    if midx is not None and (pos := d.code_of_method.get(midx)) is not None:
                        out.append((di, pos))
        elif op == NEW_INSTANCE:
            out += self._implicit(di, index, CALLBACKS)
        elif op in STATIC_GET_OPS:
            out += self._implicit(di, d.field_class(index), ("<clinit>",))
        return out


def _unique(sites: list[CallSite]) -> list[CallSite]:
    return list(dict.fromkeys(sites))
