"""Code payloads inside the APK: every dex, jar or APK hidden among its other entries, opened.

Entries are recognised by their first bytes, never by their names: a dex (``dex\\n0``), or a ZIP
(``PK\\x03\\x04``) that holds a dex or an ``AndroidManifest.xml`` (a jar or an APK), nested ZIPs included.
Looked at: ``assets/``, ``res/raw/`` and every other entry that is not one of the APK's own parts (the root
``classes*.dex``, the manifest, ``resources.arsc``, ``META-INF/``, compiled ``res/``, ``lib/*.so``).

Everything stays within the policy's limits, applied again inside each nested archive: nesting depth,
entries per archive, bytes inflated (one dex at most ``max_dex_bytes``, all payloads together at most twice
that), and the compression ratio of each nested entry. What goes beyond is skipped with a note, never
inflated. A payload dex that is damaged is skipped the same way: it cannot run either.

Each dex found becomes a ``DexFile`` named by its path inside the APK (``assets/x.dat!classes.dex``), so the
code analysis reads it like the root dex files and its evidence points into it.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gate.apk.dex import DexFile
    from gate.core.context import BuildContext

MAX_DEPTH = 3  # an archive inside an archive inside an archive inside the APK
MAX_EXAMINED = 2000  # entries of the APK whose first bytes are read
MAX_DEX = 32  # payload dex files analysed
MIN_OPAQUE_BYTES = 4096
OPAQUE_ENTROPY = 7.5  # bits per byte: compressed or encrypted
ENTROPY_SAMPLE = 64 * 1024
_ROOT_DEX = re.compile(r"^classes\d*\.dex$")
_OWN_PARTS = ("AndroidManifest.xml", "resources.arsc")
# First bytes of formats that decode to something other than code (media, fonts, compressed streams, ...).
KNOWN_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"RIFF", b"\x1f\x8b", b"BZh", b"\xfd7zXZ", b"7z\xbc\xaf",
               b"\x28\xb5\x2f\xfd", b"\x04\x22\x4d\x18", b"OggS", b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2",
               b"fLaC", b"\x1a\x45\xdf\xa3", b"\x00\x01\x00\x00", b"OTTO", b"wOFF", b"wOF2", b"true", b"SQLite",
               b"\x7fELF", b"%PDF", b"\x03\x00\x08\x00", b"\x02\x00\x0c\x00", b"AAPT", b"BM", b"\xca\xfe\xba\xbe",
               b"PK\x03\x04", b"PK\x05\x06", b"dex\n", b"MThd", b"ttcf")


@dataclass(frozen=True)
class Container:
    """A payload as the APK holds it: ``path`` (``assets/x.dat`` or ``assets/a.zip!b.jar``), ``kind``
    (dex, jar, apk) and the dex files inside it."""

    path: str
    kind: str
    dex: tuple[str, ...] = ()


@dataclass
class Payloads:
    containers: list[Container] = field(default_factory=list)  # outermost first
    dexes: list[DexFile] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, why)


def candidates(infos: list[zipfile.ZipInfo]) -> list[zipfile.ZipInfo]:
    """Entries that could hide code: not the APK's own parts."""
    out = []
    for info in infos:
        name = info.filename
        if info.is_dir() or name in _OWN_PARTS or _ROOT_DEX.match(name) or name.startswith("META-INF/"):
            continue
        if name.startswith("res/") and not name.startswith("res/raw/"):
            continue
        if name.startswith("lib/") and name.endswith(".so"):
            continue
        out.append(info)
    return out


class _Budget:
    def __init__(self, total: int) -> None:
        self.left = total


def find(ctx: BuildContext) -> Payloads:
    from gate.core.context import IntakeError

    lim = ctx.limits
    result = Payloads()
    budget = _Budget(2 * lim.max_dex_bytes)
    for examined, info in enumerate(candidates(ctx.zip.infolist())):
        if examined >= MAX_EXAMINED:
            result.skipped.append((info.filename, f"more than {MAX_EXAMINED} entries; the rest were not examined"))
            break
        if info.file_size < 22:  # neither a dex header nor a ZIP's end record fits
            continue
        try:
            with ctx.zip.open(info) as fh:
                head = fh.read(8)
        except MemoryError:
            raise
        except Exception:  # noqa: BLE001 - a damaged entry is not a payload
            continue
        if not (head.startswith(b"dex\n") or head.startswith(b"PK\x03\x04")):
            continue
        if info.file_size > budget.left or info.file_size > lim.max_dex_bytes:
            result.skipped.append((info.filename, f"{info.file_size:,} bytes, over the payload budget"))
            continue
        try:
            data = ctx.read(info.filename, lim.max_dex_bytes)
        except IntakeError as exc:
            result.skipped.append((info.filename, exc.message))
            continue
        budget.left -= len(data)
        _open(ctx, info.filename, data, 1, result, budget, outermost=True)
    return result


def _open(ctx: BuildContext, path: str, data: bytes, depth: int, result: Payloads, budget: _Budget,
          outermost: bool) -> list[str]:
    """Record the payload ``data`` found at ``path``; returns the dex paths inside it."""
    if data.startswith(b"dex\n"):
        dex = _load_dex(path, data, result)
        if outermost:
            result.containers.append(Container(path, "dex", (path,) if dex else ()))
        return [path] if dex else []
    lim = ctx.limits
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except MemoryError:
        raise
    except Exception:  # noqa: BLE001 - not a readable ZIP: not a payload
        return []
    names = {i.filename for i in infos}
    holds_dex = any(n.endswith(".dex") for n in names)
    kind = "apk" if "AndroidManifest.xml" in names else "jar" if holds_dex else ""
    if len(infos) > lim.max_entries:
        result.skipped.append((path, f"{len(infos):,} entries, over the limit of {lim.max_entries:,}"))
        return []
    found: list[str] = []
    for info in infos:
        if info.is_dir() or info.file_size < 22:
            continue
        inner = f"{path}!{info.filename}"
        is_dex_name = info.filename.endswith(".dex")
        if not is_dex_name and depth >= MAX_DEPTH:
            continue
        if (info.file_size >= lim.ratio_min_entry_bytes
                and info.file_size / max(1, info.compress_size) > lim.max_entry_ratio):
            result.skipped.append((inner, "compression ratio over the limit (a zip bomb?)"))
            continue
        try:
            with archive.open(info) as fh:
                head = fh.read(8)
                if not (head.startswith(b"dex\n") or head.startswith(b"PK\x03\x04")):
                    continue
                if info.file_size > min(budget.left, lim.max_dex_bytes):
                    result.skipped.append((inner, f"{info.file_size:,} bytes, over the payload budget"))
                    continue
                body = head + fh.read(min(budget.left, lim.max_dex_bytes) + 1 - len(head))
        except MemoryError:
            raise
        except Exception as exc:  # noqa: BLE001 - a damaged nested entry is skipped
            result.skipped.append((inner, f"cannot be decompressed ({type(exc).__name__})"))
            continue
        if len(body) > min(budget.left, lim.max_dex_bytes):
            result.skipped.append((inner, "unpacks to more than its declared size or the payload budget"))
            continue
        budget.left -= len(body)
        if body.startswith(b"dex\n"):
            if _load_dex(inner, body, result):
                found.append(inner)
        elif depth < MAX_DEPTH:
            found += _open(ctx, inner, body, depth + 1, result, budget, outermost=False)
    if outermost and (kind or found):
        result.containers.append(Container(path, kind or "jar", tuple(found)))
    return found


def _load_dex(path: str, data: bytes, result: Payloads) -> bool:
    from gate.apk.dex import DexFile
    from gate.apk.errors import IntakeError
    from gate.apk.reader import check_dex_header

    if len(result.dexes) >= MAX_DEX:
        result.skipped.append((path, f"more than {MAX_DEX} payload dex files"))
        return False
    try:
        check_dex_header(path, data[:0x70], len(data))
        dex = DexFile(path, data)
        dex.code  # noqa: B018 - walks every class's data: a damaged dex fails here
    except MemoryError:
        raise
    except (IntakeError, Exception) as exc:  # noqa: BLE001 - a damaged payload cannot run either
        why = exc.message if isinstance(exc, IntakeError) else f"{type(exc).__name__}: {exc}"
        result.skipped.append((path, f"not a readable dex ({why})"))
        return False
    result.dexes.append(dex)
    return True


def entropy(data: bytes) -> float:
    """Shannon entropy in bits per byte."""
    import numpy as np

    if not data:
        return 0.0
    counts = np.bincount(np.frombuffer(data, dtype=np.uint8), minlength=256)
    p = counts[counts > 0] / len(data)
    return float(-(p * np.log2(p)).sum())


def opaque_entries(ctx: BuildContext) -> list[tuple[str, float]]:
    """(entry, entropy) of entries that could hide code and decode to nothing known: no known first bytes,
    at least MIN_OPAQUE_BYTES, entropy over OPAQUE_ENTROPY bits per byte on their first 64 KiB."""
    out = []
    for examined, info in enumerate(candidates(ctx.zip.infolist())):
        if examined >= MAX_EXAMINED:
            break
        if info.file_size < MIN_OPAQUE_BYTES:
            continue
        try:
            with ctx.zip.open(info) as fh:
                sample = fh.read(ENTROPY_SAMPLE)
        except MemoryError:
            raise
        except Exception:  # noqa: BLE001 - a damaged entry is reported by the signature checks
            continue
        if sample.startswith(KNOWN_MAGIC) or sample[4:8] == b"ftyp":
            continue
        bits = entropy(sample)
        if bits > OPAQUE_ENTROPY:
            out.append((info.filename, round(bits, 2)))
    return out
