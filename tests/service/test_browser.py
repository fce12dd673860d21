"""The verdict page in a real browser (Debian's Chromium driven by selenium): a pass, a warn with SDK evidence
and a block with a call chain, in zh-CN and English. Screenshots go to docs/screenshots/ when
GATE_SCREENSHOTS=1 (how the committed ones were made), else to a temporary folder."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import LISTINGS, ROOT, fixture_apk
from tests.service.conftest import post_build, wait_status

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
pytestmark = pytest.mark.skipif(
    not (os.path.exists(CHROMIUM) and os.path.exists(DRIVER)),
    reason="Debian's chromium and chromium-driver are not installed (.ci/run installs them)",
)

CASES = [
    ("pass", "clean", "complete"),
    ("warn-sdk", "sdk-calls", "policy-discloses"),
    ("block-chain", "preconsent", "no-filing"),
]


def _verdicts(client, rt, tenant, workers) -> dict[str, str]:  # type: ignore[no-untyped-def]
    tokens = {}
    ids = {}
    for name, apk, listing in CASES:
        data = json.loads((LISTINGS / f"{listing}.json").read_text(encoding="utf-8"))
        ids[name] = post_build(client, tenant, fixture_apk(apk), data).json["build_id"]
    workers.burst()
    for name, build_id in ids.items():
        tokens[name] = wait_status(rt, build_id, ("done",)).verdict_token
    return tokens


def _shoot(driver, path: Path) -> None:  # type: ignore[no-untyped-def]
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1100, min(max(int(height), 600), 6000))
    driver.save_screenshot(str(path))


def test_verdict_pages_in_both_languages(browser, served, client, rt, tenant, workers, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    out = ROOT / "docs" / "screenshots" if os.environ.get("GATE_SCREENSHOTS") else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    tokens = _verdicts(client, rt, tenant, workers)
    expected = {
        "pass": ("通过", "PASS"),
        "warn-sdk": ("警告：需人工复核", "WARN: review needed"),
        "block-chain": ("阻止上架", "BLOCK"),
    }
    for name, token in tokens.items():
        for lang in ("zh", "en"):
            browser.get(f"{served}/v/{token}?lang={lang}")
            html = browser.find_element(By.TAG_NAME, "html")
            assert html.get_attribute("lang") == ("zh-CN" if lang == "zh" else "en")
            banner = browser.find_element(By.CSS_SELECTOR, "[role=status] strong").text
            assert banner == expected[name][0 if lang == "zh" else 1]
            assert browser.find_elements(By.TAG_NAME, "h1")
            assert all(th.get_attribute("scope") for th in browser.find_elements(By.TAG_NAME, "th"))
            assert not browser.find_elements(By.TAG_NAME, "script")
            if lang == "zh":  # what was found, why it matters and the fix: all in Chinese, no English fallback
                assert name == "pass" or browser.find_elements(By.CSS_SELECTOR, "article.finding dd")
                english = [dd.text[:80] for dd in browser.find_elements(By.CSS_SELECTOR, "article.finding dd[lang=en]")]
                assert not english, f"{name}: {english}"
            _shoot(browser, out / f"verdict-{name}-{lang}.png")
    # the warn page shows the SDK evidence, the block page the call chain, under the regulation's categories
    browser.get(f"{served}/v/{tokens['warn-sdk']}?lang=zh")  # the last page was English, and that is remembered
    body = browser.find_element(By.TAG_NAME, "body").text
    assert "违规收集使用个人信息" in body and "第三方 SDK" in body and "com/umeng" in body.replace(".", "/")
    browser.get(f"{served}/v/{tokens['block-chain']}?lang=en")
    chains = [
        [li.text for li in ol.find_elements(By.TAG_NAME, "li")]
        for ol in browser.find_elements(By.CSS_SELECTOR, "ol.chain")
    ]
    assert [
        "Lcn/gate/fixture/preconsent/App;->onCreate()V",
        "Lcom/umeng/commonsdk/UMConfigure;->init(Landroid/content/Context;)V",
        "Lcn/jpush/android/api/JPushInterface;->init(Landroid/content/Context;)V",
        "Landroid/telephony/TelephonyManager;->getImei()Ljava/lang/String;",
    ] in chains
    assert "The distribution platform's duties" in browser.find_element(By.TAG_NAME, "body").text
    # the language switch is a plain link
    browser.find_element(By.LINK_TEXT, "中文").click()
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-CN"


def test_rule_pages(browser, served) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    browser.get(f"{served}/rules/PI-PRECONSENT")
    assert "用户同意前即可调用敏感接口" in browser.find_element(By.TAG_NAME, "h1").text
    assert "strict" in browser.find_element(By.TAG_NAME, "body").text
    browser.get(f"{served}/rules?lang=en")
    links = browser.find_elements(By.CSS_SELECTOR, "main a")
    assert len(links) == 34
