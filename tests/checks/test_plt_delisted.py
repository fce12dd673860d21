import json

from gate.core import listing as listing_mod
from gate.core import policy
from gate.core.scan import scan
from tests.conftest import LISTINGS, finding, fixture_apk, rule_ids
from tests.history_source import ListHistory

CN = policy.load("cn-default")
LISTING = listing_mod.load_file(LISTINGS / "complete.json")


def test_a_package_named_in_a_notice() -> None:
    history = ListHistory()
    history.registry.append({"package": "cn.gate.fixture.clean", "developer": None,
                             "notice": "工信部信管函〔2024〕12号 第3批"})
    f = finding(scan(fixture_apk("clean"), CN, LISTING, history=history), "PLT-DELISTED")
    assert "工信部信管函〔2024〕12号 第3批" in f.message and str(f.outcome) == "block"


def test_a_developer_named_in_a_notice() -> None:
    history = ListHistory()
    history.registry.append({"package": None, "developer": "DEV-0001", "notice": "notice 7"})
    f = finding(scan(fixture_apk("debuggable"), CN, LISTING, history=history), "PLT-DELISTED")
    assert "developer DEV-0001" in f.message
    other = json.loads((LISTINGS / "complete.json").read_text(encoding="utf-8"))
    other["developer"]["id"] = "DEV-0002"
    assert "PLT-DELISTED" not in rule_ids(scan(fixture_apk("clean"), CN, listing_mod.load(other), history=history))


def test_no_registry_without_history() -> None:
    assert "PLT-DELISTED" not in rule_ids(scan(fixture_apk("clean"), CN, LISTING))
