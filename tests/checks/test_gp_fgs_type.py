from tests.conftest import finding, rule_ids, scan_fixture


def test_missing_permission_and_missing_type() -> None:
    f = finding(scan_fixture("fgs-service", policy="google-play"), "GP-FGS-TYPE")
    values = sorted(e.value for e in f.evidence)
    assert values == [
        "cn.gate.fixture.fgs_service.PlainService calls startForeground but declares no foregroundServiceType",
        "cn.gate.fixture.fgs_service.TrackService has type location but the app lacks FOREGROUND_SERVICE_LOCATION",
    ]


def test_no_foreground_services() -> None:
    assert "GP-FGS-TYPE" not in rule_ids(scan_fixture("clean", policy="google-play"))
    assert "GP-FGS-TYPE" not in rule_ids(scan_fixture("fgs-service"))  # off in cn-default
