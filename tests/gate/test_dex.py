"""The lean dex reader against careful and independent references."""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from gate.apk.dex import DexError, DexFile
from gate.core.code import Code
from gate.core.sdks import catalogue, sensitive_apis
from tests.conftest import APKS, ROOT, corpus_file, corpus_files


def _dexes(apk: Path) -> list[DexFile]:
    with zipfile.ZipFile(apk) as zf:
        names = sorted((n for n in zf.namelist() if re.match(r"^classes\d*\.dex$", n)),
                       key=lambda n: int(n[7:-4] or 1))
        return [DexFile(n, zf.read(n)) for n in names]


APK_SAMPLE = sorted(APKS.glob("*.apk")) + corpus_files("apks")[:20]


@pytest.mark.parametrize("apk", APK_SAMPLE, ids=lambda p: p.name)
def test_bulk_class_data_decoding_equals_the_class_by_class_walk(apk: Path) -> None:
    try:
        dexes = _dexes(apk)
    except (DexError, zipfile.BadZipFile):
        pytest.skip("not a readable dex")
    for d in dexes:
        fast = d._code_vectorised()
        slow = DexFile(d.name, d.data)._code_by_class()
        if fast is not None:
            assert [list(a) for a in fast] == [list(a) for a in slow]


def test_call_sites_match_androguards_disassembly() -> None:
    """Every invoke of a sensitive API that androguard's own disassembler sees, the gate sees, and no more."""
    from androguard.core.dex import DEX

    apk = corpus_file("apks/androguard-a2dp.Vol_137.apk")
    apis = sensitive_apis()
    methods_only = {sig: cat for sig, cat in apis.items() if "(" in sig}
    with zipfile.ZipFile(apk) as zf:
        raw = zf.read("classes.dex")
    expected = set()
    for method in (m for cls in DEX(raw).get_classes() for m in cls.get_methods()):
        caller = f"{method.get_class_name()}->{method.get_name()}{method.get_descriptor().replace(' ', '')}"
        for ins in method.get_instructions():
            if ins.get_name().startswith("invoke"):
                target = ins.get_output().split(", ")[-1].replace(" ", "")
                if target in methods_only:
                    expected.add((caller, target))
    code = Code([DexFile("classes.dex", raw)], catalogue())
    got = {(c.caller, c.api) for c in code.raw_calls(methods_only)}
    keyed = {pair for pair in expected if "Settings$" in pair[1]}
    assert got == expected - keyed | (got & keyed)  # android_id-keyed calls are a subset by design
    assert len(expected) >= 5


def test_hostile_bytes_raise_only_dex_errors() -> None:
    rng = random.Random(4)
    base = (APKS / "sdk-calls.apk").read_bytes()
    with zipfile.ZipFile(APKS / "sdk-calls.apk") as zf:
        dex = zf.read("classes.dex")
    for i in range(300):
        data = bytearray(dex)
        for _ in range(rng.randint(1, 40)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        if i % 3 == 0:
            data = data[: rng.randrange(0x70, len(data))]
        try:
            d = DexFile("classes.dex", bytes(data))
            d.code  # noqa: B018
            for pos in range(len(d.code[0])):
                d.instructions(pos)
                d.refs(pos)
            Code([d], catalogue()).calls(sensitive_apis())
        except DexError:
            pass
    assert base  # the original stays untouched
    with pytest.raises(DexError):
        DexFile("x.dex", os.urandom(40))


def test_importing_the_dex_reader_starts_no_native_threads() -> None:
    # numpy's OpenBLAS would start a thread per core at import: every gate process forks (the signature
    # child, RQ's work horses), and the job's memory cap counts the pool's address space
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    out = subprocess.run(
        [sys.executable, "-c", "import gate.apk.dex; print(open('/proc/self/status').read())"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    ).stdout
    assert re.search(r"^Threads:\s+1$", out, re.MULTILINE), out
