"""Thousands of mutated APKs through the intake, the dex reader and every check: each ends in a verdict
(a block for what cannot be read), never an exception, and never a silent pass of a damaged file."""

from __future__ import annotations

import zipfile
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from gate.apk.dex import DexError, DexFile
from gate.core import policy
from tests.conftest import APKS, CORPUS

CN = policy.load("cn-default")
SEEDS = [APKS / "sdk-calls.apk", APKS / "preconsent.apk", APKS / "tampered-v2.apk", APKS / "legu-like.apk"]
SMALL_CORPUS = CORPUS / "apks" / "androguard-com.politedroid_4.apk"
if SMALL_CORPUS.is_file():
    SEEDS.append(SMALL_CORPUS)
SEED_BYTES = [p.read_bytes() for p in SEEDS]

mutation = st.tuples(
    st.integers(0, len(SEED_BYTES) - 1),
    st.lists(st.tuples(st.floats(0, 1, allow_nan=False), st.integers(0, 255)), min_size=1, max_size=24),
    st.one_of(st.none(), st.floats(0.05, 1, allow_nan=False)),
    st.one_of(st.none(), st.tuples(st.floats(0, 1, allow_nan=False), st.binary(min_size=1, max_size=64))),
)


def _mutate(seed: int, flips: list[tuple[float, int]], cut: float | None,
            insert: tuple[float, bytes] | None) -> bytes:
    data = bytearray(SEED_BYTES[seed])
    for where, value in flips:
        data[min(int(where * len(data)), len(data) - 1)] = value
    if insert is not None:
        at = int(insert[0] * len(data))
        data[at:at] = insert[1]
    if cut is not None:
        data = data[: max(1, int(cut * len(data)))]
    return bytes(data)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutation)
# found by this test: a NUL at the start of the last central-directory name, which zipfile reads as "" (its
# ZipInfo.is_dir then raised IndexError in 13 checks)
@example((0, [(0.9967329853766898, 0)], None, None))
def test_mutated_apks_always_get_a_verdict(tmp_path_factory, case) -> None:  # type: ignore[no-untyped-def]
    from gate.core.scan import scan

    path: Path = tmp_path_factory.mktemp("fuzz") / "m.apk"
    path.write_bytes(_mutate(*case))
    verdict = scan(path, CN, None)
    rules = {f.rule_id for f in verdict.findings}
    assert "GATE-CHECK-FAILED" not in rules, [f.message for f in verdict.findings if f.rule_id == "GATE-CHECK-FAILED"]
    assert verdict.verdict in ("pass", "warn", "block")
    if "PKG-UNREADABLE" not in rules and "PKG-LIMITS" not in rules:
        assert verdict.app.package  # whatever passed intake was really readable


dex_seeds = []
for seed in SEEDS:
    with zipfile.ZipFile(seed) as zf:
        dex_seeds += [zf.read(n) for n in zf.namelist() if n.startswith("classes") and n.endswith(".dex")]


@settings(max_examples=1500, deadline=None)
@given(st.integers(0, len(dex_seeds) - 1), st.lists(st.tuples(st.floats(0, 1, allow_nan=False), st.integers(0, 255)),
                                                     min_size=1, max_size=32))
def test_mutated_dex_files_raise_only_dex_errors(seed: int, flips: list[tuple[float, int]]) -> None:
    data = bytearray(dex_seeds[seed])
    for where, value in flips:
        data[min(int(where * len(data)), len(data) - 1)] = value
    try:
        d = DexFile("classes.dex", bytes(data))
        starts = d.code[0]
        for pos in range(min(len(starts), 200)):
            d.instructions(pos)
            d.refs(pos)
        d.lifecycle  # noqa: B018
        d.method_keys  # noqa: B018
    except DexError:
        pass
