"""The pages in a real browser (Debian's Chromium, as in test_browser.py), for what a newcomer trips over: the
zh-CN pages in Chinese throughout, the summary on top of the verdict page, the texts' markup, the language
chosen from the browser and remembered, the gate's own 404 page, rule ids in any case, and Chinese glyphs that
really render (tests/setup-browser.sh installs fonts-noto-cjk)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import requests

from gate.core import reference, sdks
from tests.conftest import CORPUS, LISTINGS, fixture_apk
from tests.service.conftest import post_build, wait_status
from tests.service.test_browser import pytestmark  # noqa: F401  (skipped where Chromium is not installed)

# SDK-heavy fixtures and listings that make many kinds of evidence (call chains, SDKs, native reads, policy
# comparisons, cleartext, an incomplete listing), and a real SDK-heavy app from the corpus when it is there.
BUILDS = [
    ("preconsent", "no-filing"),
    ("hidden-calls", "sdk-list"),
    ("native-ids", "policy-denies"),
    ("sdk-calls", "policy-discloses"),
    ("cleartext", "incomplete"),
    ("legu-like", "type-utility_tools"),
]
CORPUS_APP = CORPUS / "apks" / "agentweb-sample.apk"

# The text a reader sees, leaving out code, ids and names (marked <code> or translate="no") and hidden parts.
VISIBLE_TEXT = """
const out = [];
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
for (let node = walker.nextNode(); node; node = walker.nextNode()) {
  if (node.parentElement.closest('code, [translate="no"], script, style')) continue;
  out.push(node.textContent);
}
return out.join(' ');
"""
# Latin words a Chinese text uses as they are: platform and format names, acronyms, proper nouns, and the names
# of the SDKs (brands such as JPush or Bugly, as their Chinese names spell them).
AS_IS = {"SDK", "API", "APK", "APP", "App", "HTTP", "HTTPS", "Android", "Wi-Fi", "IMEI", "MEID", "IMEI/MEID", "IMSI",
         "ICCID", "MAC", "ID", "OAID", "MSA", "JNI", "Intent", "dex", "jar", "ZIP", "XML", "CNCERT", "AOSP", "URL",
         "GB/T", "JAR", "Jetpack", "USB", "SHA-256", "KB", "MB", "GB", "English", "Instant", "Run", "Google", "Play",
         "ICP", "v1", "v2", "v3", "v3/v3.1", "v3.1"}
AS_IS |= {word for sdk in sdks.catalogue().sdks.values()
          for word in re.findall(r"[A-Za-z][A-Za-z0-9+.-]*", f"{sdk.name_zh} {sdk.vendor_zh}")}
LATIN = re.compile(r"[A-Za-z][A-Za-z0-9_./+-]*(?:\s+[A-Za-z][A-Za-z0-9_./+-]*)*")


def english_in(text: str) -> list[str]:
    """Runs of Latin words in a Chinese page's text that are not names used as they are."""
    return [run for run in LATIN.findall(text) if not all(word in AS_IS for word in run.split())]


def _submit(client: Any, rt: Any, tenant: dict[str, str], workers: Any) -> dict[str, str]:
    ids = {}
    for apk, listing in BUILDS:
        data = json.loads((LISTINGS / f"{listing}.json").read_text(encoding="utf-8"))
        ids[apk] = post_build(client, tenant, fixture_apk(apk), data, platform_id=apk).json["build_id"]
    if CORPUS_APP.is_file():
        data = json.loads((LISTINGS / "complete.json").read_text(encoding="utf-8"))
        ids["corpus"] = post_build(client, tenant, CORPUS_APP.read_bytes(), data, platform_id="corpus").json["build_id"]
    workers.burst()
    return {name: str(wait_status(rt, build_id, ("done",), timeout_s=120).verdict_token)
            for name, build_id in ids.items()}


def test_the_english_words_check_itself() -> None:
    assert english_in("应用允许明文 HTTP（未加密）通信。") == []
    assert english_in("隐私政策未提及 app_list") == ["app_list"]
    assert english_in("状态 done · 证据 the policy does not mention") == ["done", "the policy does not mention"]


def test_zh_pages_are_chinese_throughout(browser, served, client, rt, tenant, workers) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    tokens = _submit(client, rt, tenant, workers)
    pages = [f"/v/{token}?lang=zh" for token in tokens.values()] + ["/rules?lang=zh"]
    pages += [f"/rules/{rule_id}?lang=zh" for rule_id in reference.rules()]
    english = {}
    for page in pages:
        browser.get(served + page)
        assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-CN", page
        found = english_in(browser.execute_script(VISIBLE_TEXT))
        if found:
            english[page] = sorted(set(found))[:60]
        # what was found, why it matters, how to fix: none falls back to English
        assert not browser.find_elements(By.CSS_SELECTOR, "[lang=en]:not(nav *)"), page
    assert not english, json.dumps(english, ensure_ascii=False, indent=1)
    # the texts' backticks are code, not literal backticks
    browser.get(f"{served}/rules/PI-APP-LIST?lang=zh")
    assert "`" not in browser.find_element(By.TAG_NAME, "main").text
    codes = [c.text for c in browser.find_elements(By.CSS_SELECTOR, "main p code, main li code")]
    assert "PackageManager.getInstalledPackages" in codes and "QUERY_ALL_PACKAGES" in codes


def test_summary_first_and_long_evidence_folded(browser, served, client, rt, tenant, workers) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    data = json.loads((LISTINGS / "no-filing.json").read_text(encoding="utf-8"))
    build_id = post_build(client, tenant, fixture_apk("preconsent"), data).json["build_id"]
    workers.burst()
    token = wait_status(rt, build_id, ("done",)).verdict_token
    findings = rt.build(build_id).verdict["findings"]
    blocks = [f["rule_id"] for f in findings if f["outcome"] == "block"]
    warns = [f["rule_id"] for f in findings if f["outcome"] == "warn" and f["rule_id"] != "PI-PERMISSIONS"]
    assert blocks and warns
    for lang in ("zh", "en"):
        browser.get(f"{served}/v/{token}?lang={lang}")
        summary = browser.find_element(By.CSS_SELECTOR, "section.summary")
        first_group = browser.find_element(By.CSS_SELECTOR, "main section")
        # the summary comes before every group, within the first screen, and its badges count the findings
        assert summary.location["y"] < first_group.location["y"] and summary.location["y"] < 1000
        badges = [b.text for b in summary.find_elements(By.CSS_SELECTOR, ".badge")]
        assert badges[0].endswith(f" {len(blocks)}") and badges[1].endswith(f" {len(warns)}"), badges
        # blocking findings first, each a link to its finding further down
        links = summary.find_elements(By.CSS_SELECTOR, "ol.to-fix a")
        targets = [a.get_attribute("href").rsplit("#f-", 1)[1] for a in links]
        assert targets[: len(blocks)] == sorted(blocks) and sorted(targets[len(blocks):]) == sorted(warns)
        for rule_id in targets:
            assert browser.find_element(By.ID, f"f-{rule_id}").tag_name == "article"
        links[0].click()
        assert browser.execute_script("return window.scrollY") > 0
    # evidence beyond the first five items folds into a closed <details> that counts them
    browser.get(f"{served}/v/{token}?lang=zh")
    long = [f for f in findings if len(f["evidence"]) > 5 and f["rule_id"] != "PI-PERMISSIONS"]
    assert long
    for f in long:
        article = browser.find_element(By.ID, f"f-{f['rule_id']}")
        shown = article.find_elements(By.CSS_SELECTOR, "dd > ul.evidence > li")
        folded = article.find_element(By.CSS_SELECTOR, "dd > details")
        assert len(shown) == 5 and folded.get_attribute("open") is None
        assert folded.find_element(By.TAG_NAME, "summary").text == f"另有 {len(f['evidence']) - 5} 项"


def test_language_from_the_browser_and_remembered(browser, served) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    def lang_of(url: str, header: str) -> str:
        html = requests.get(url, headers={"accept-language": header}, timeout=10).text
        return re.search(r'<html lang="([^"]+)"', html).group(1)  # type: ignore[union-attr]

    assert lang_of(f"{served}/rules", "en-US,en;q=0.9") == "en"
    assert lang_of(f"{served}/rules", "zh-CN,zh;q=0.9,en;q=0.8") == "zh-CN"
    assert lang_of(f"{served}/rules", "fr-FR,en;q=0.5") == "en"
    assert lang_of(f"{served}/rules", "de") == "zh-CN"  # nothing we speak: the default
    assert lang_of(f"{served}/rules?lang=zh", "en") == "zh-CN"
    # the browser asks for zh-CN; switching to English is remembered on the pages that follow
    browser.get(f"{served}/rules/PI-APP-LIST")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-CN"
    browser.find_element(By.LINK_TEXT, "English").click()
    browser.get(f"{served}/rules")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    assert browser.find_element(By.TAG_NAME, "h1").text == "All rules"
    browser.find_element(By.LINK_TEXT, "中文").click()
    browser.get(f"{served}/rules/PI-APP-LIST")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-CN"


@pytest.mark.parametrize("path", ["/rules/NOPE", "/v/badtoken", "/nothing/here"])
def test_the_gates_own_404_page(browser, served, path) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    assert requests.get(served + path, timeout=10).status_code == 404
    browser.get(served + path)
    body = browser.find_element(By.TAG_NAME, "body").text
    assert "找不到此页面" in body and "Page not found" in body
    assert browser.find_element(By.TAG_NAME, "h1").text == "找不到此页面"  # the browser asks for zh-CN
    assert browser.find_element(By.PARTIAL_LINK_TEXT, "全部规则")


def test_rule_ids_in_any_case(browser, served) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    for asked in ("pi-app-list", "Pi-App-List"):
        browser.get(f"{served}/rules/{asked}?lang=en")
        assert browser.current_url == f"{served}/rules/PI-APP-LIST?lang=en"
        assert browser.find_element(By.CSS_SELECTOR, "h1 code").text == "PI-APP-LIST"


def test_chinese_glyphs_render(browser, served) -> None:  # type: ignore[no-untyped-def]
    """Without a CJK font every Chinese character is drawn as the same empty box, so two different Chinese
    texts of the same length look alike; with one they differ."""
    from selenium.webdriver.common.by import By

    browser.get(f"{served}/rules/PI-APP-LIST?lang=zh")
    h1 = browser.find_element(By.TAG_NAME, "h1")

    def shot(text: str) -> bytes:
        browser.execute_script("arguments[0].textContent = arguments[1]", h1, text)
        return h1.screenshot_as_png

    assert shot("阻止上架") != shot("用户同意"), "Chinese is drawn as tofu: is fonts-noto-cjk installed?"
    assert shot("阻止上架") == shot("阻止上架")  # the comparison itself is stable
    # and characters no font has (private use) do all look alike: what Chinese would look like without the font
    assert shot("\ue000\ue001\ue002\ue003") == shot("\ue010\ue011\ue012\ue013")
