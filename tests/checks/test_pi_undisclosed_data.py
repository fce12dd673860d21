from checks._policy_text import category_disclosure
from tests.conftest import finding, rule_ids, scan_fixture


def test_a_policy_that_discloses_is_not_flagged() -> None:
    assert "PI-UNDISCLOSED-DATA" not in rule_ids(scan_fixture("sdk-calls", "policy-discloses"))


def test_a_policy_that_denies_what_the_code_does() -> None:
    f = finding(scan_fixture("sdk-calls", "policy-denies"), "PI-UNDISCLOSED-DATA")
    notes = {e.extra["category"]: e.value for e in f.evidence if e.kind == "listing"}
    assert set(notes) == {"app_list", "clipboard", "device_id", "phone"}
    assert notes["device_id"].startswith("the policy denies device_id")
    assert notes["phone"] == "the policy does not mention phone"


def test_silent_policy() -> None:
    f = finding(scan_fixture("bg-location", "complete"), "PI-UNDISCLOSED-DATA")
    assert "location" in f.message


def test_wording() -> None:
    text = "为保障账号安全，我们会收集设备标识信息，包括但不限于IMEI、Android ID。我们不会读取您的通讯录。"
    assert category_disclosure(text, "device_id")[0]
    disclosed, mentions = category_disclosure(text, "contacts")
    assert not disclosed and mentions and mentions[0].denied
    assert category_disclosure("We collect your precise location to show nearby stores.", "location")[0]
    assert not category_disclosure("We do not collect your location.", "location")[0]
    assert not category_disclosure("Relocation services are available.", "location")[0]


def test_no_policy_text_is_left_to_pi_no_policy() -> None:
    assert "PI-UNDISCLOSED-DATA" not in rule_ids(scan_fixture("sdk-calls", "no-policy"))
