"""pyelftools against LIEF for what gate/core/native.py needs: import time, peak memory and the time to get a
shared object's imported symbols and its .rodata strings.

    pip install pyelftools lief   # LIEF only for this measurement; the gate depends on pyelftools alone
    python bench/elf_readers.py [APK ...]   # default: owasp-r2pay, amap-path-record, owasp-uncrackable-level3

Each reader runs in a fresh process (import time is part of what a scan pays) over the arm64-v8a library
(or the first ABI) of each APK, twice: the first parse and a second one.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "apks"
DEFAULT = ["owasp-r2pay-v0.9.apk", "amap-path-record-demo.apk", "owasp-uncrackable-level3.apk"]

CHILD = r'''
import io, re, sys, time, resource
t0 = time.perf_counter()
if sys.argv[1] == "pyelftools":
    from elftools.elf.elffile import ELFFile
else:
    import lief
imported = time.perf_counter() - t0
PR = re.compile(rb"[\x20-\x7e]{4,}")
def pyelftools(data):
    f = ELFFile(io.BytesIO(data))
    dyn = f.get_section_by_name(".dynsym")
    imports = [s.name for s in dyn.iter_symbols() if s["st_shndx"] == "SHN_UNDEF" and s.name]
    ro = f.get_section_by_name(".rodata")
    return len(imports), len(PR.findall(ro.data()) if ro else [])
def lief_(data):
    b = lief.ELF.parse(io.BytesIO(data))
    imports = [s.name for s in b.imported_symbols]
    ro = b.get_section(".rodata")
    return len(imports), len(PR.findall(bytes(ro.content)) if ro else [])
fn = pyelftools if sys.argv[1] == "pyelftools" else lief_
out = [f"{sys.argv[1]}: import {imported * 1000:.0f} ms"]
for path in sys.argv[2:]:
    data = open(path, "rb").read()
    t = time.perf_counter(); r = fn(data); first = time.perf_counter() - t
    t = time.perf_counter(); fn(data); again = time.perf_counter() - t
    out.append(f"  {path.rsplit('/', 1)[-1]} {len(data):,} B: {r[0]} imports, {r[1]} strings; "
               f"first {first * 1000:.1f} ms, again {again * 1000:.1f} ms")
out.append(f"  peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
print("\n".join(out))
'''


def main() -> None:
    apks = [Path(a) for a in sys.argv[1:]] or [CORPUS / name for name in DEFAULT]
    tmp = Path("/tmp/gate-elf-bench")
    tmp.mkdir(exist_ok=True)
    libs = []
    for apk in apks:
        with zipfile.ZipFile(apk) as z:
            names = sorted(n for n in z.namelist() if n.startswith("lib/") and n.endswith(".so"))
            chosen = max((n for n in names if n.startswith("lib/arm64-v8a/")), default=None,
                         key=lambda n: z.getinfo(n).file_size) or names[0]
            target = tmp / f"{apk.stem}.so"
            target.write_bytes(z.read(chosen))
            libs.append(str(target))
    for reader in ("pyelftools", "lief"):
        subprocess.run([sys.executable, "-c", CHILD, reader, *libs], check=False)


if __name__ == "__main__":
    main()
