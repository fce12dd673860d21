"""The review desk in a real browser (Debian's Chromium driven by selenium, a real server): sign in, work the
queue, approve, waive, a wrong password, and a forged form refused for its CSRF token."""

from __future__ import annotations

import os

import pytest

from tests.service.desk import PASSWORDS, decided, reviewers, store
from tests.service.test_browser import CHROMIUM, DRIVER

pytestmark = pytest.mark.skipif(
    not (os.path.exists(CHROMIUM) and os.path.exists(DRIVER)),
    reason="Debian's chromium and chromium-driver are not installed (.ci/run installs them)",
)


@pytest.fixture()
def desk(rt, callback_server):  # type: ignore[no-untyped-def]
    store(rt.record, callback_server.url)
    reviewers(rt.record)
    return {"warn": decided(rt.record, "sdk-calls", now=100.0), "other": decided(rt.record, "preconsent", now=200.0)}


def _go(driver, element) -> None:  # type: ignore[no-untyped-def]
    """Click ``element`` and wait until the next page has replaced this one (a click returns before that)."""
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    old = driver.find_element(By.TAG_NAME, "html")

    def replaced(_driver) -> bool:  # type: ignore[no-untyped-def]
        try:
            old.is_enabled()
        except StaleElementReferenceException:
            return True
        except WebDriverException as exc:
            # asked while the new page is being built, ChromeDriver can answer with an inspector error for the
            # old page's node instead of a stale reference: the old document is gone all the same
            if "does not belong to the document" in (exc.msg or ""):
                return True
            raise
        return False

    element.click()
    WebDriverWait(driver, 15).until(replaced)


def _sign_in(driver, base: str, name: str, password: str, lang: str = "zh") -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    driver.get(f"{base}/review/login" + ("?lang=en" if lang == "en" else ""))
    driver.find_element(By.ID, "name").send_keys(name)
    driver.find_element(By.ID, "password").send_keys(password)
    _go(driver, driver.find_element(By.ID, "sign-in"))


def _text(driver) -> str:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    return str(driver.find_element(By.TAG_NAME, "body").text)


def test_sign_in_work_the_queue_and_approve(browser, served, rt, desk) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    from selenium.webdriver.common.by import By

    _sign_in(browser, served, "alice", PASSWORDS["alice"])
    assert browser.find_element(By.ID, "me").text == "alice"
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-CN"
    rows = [r.get_attribute("data-build") for r in browser.find_elements(By.CSS_SELECTOR, "#queue tbody tr")]
    assert rows == [desk["other"], desk["warn"]]  # newest first
    browser.find_element(By.ID, "f-order").send_keys("最早在前")
    browser.find_element(By.ID, "f-rule").send_keys("PI-CLIPBOARD")
    _go(browser, browser.find_element(By.ID, "filter"))
    rows = [r.get_attribute("data-build") for r in browser.find_elements(By.CSS_SELECTOR, "#queue tbody tr")]
    assert rows == [desk["warn"]]
    _go(browser, browser.find_element(By.LINK_TEXT, desk["warn"]))
    assert "待审核" in browser.find_element(By.ID, "review-status").text
    assert browser.find_elements(By.CSS_SELECTOR, "article.finding.warn")  # the verdict's findings with evidence
    assert "此应用的历史版本" in _text(browser)
    form = browser.find_element(By.ID, "approve-form")
    form.find_element(By.NAME, "reason").send_keys("SDK 已在隐私政策中披露")
    _go(browser, browser.find_element(By.ID, "approve"))
    assert browser.find_element(By.ID, "notice").text == "已批准，已通知应用商店。"
    assert browser.find_element(By.ID, "review-status").text == "已批准"
    assert "SDK 已在隐私政策中披露" in browser.find_element(By.ID, "decision-log").text
    assert rt.record.get_build(desk["warn"])["review_status"] == "approved"
    # the session cookie is not readable by scripts
    assert browser.execute_script("return document.cookie") == ""
    assert [c for c in browser.get_cookies() if c["name"] == "gate_review"][0]["httpOnly"]


def test_waive_a_finding_in_english(browser, served, rt, desk) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    from selenium.webdriver.common.by import By

    _sign_in(browser, served, "bob", PASSWORDS["bob"], "en")
    browser.get(f"{served}/review/builds/{desk['warn']}?lang=en")
    article = browser.find_elements(By.CSS_SELECTOR, "article.finding.warn")[0]
    rule = article.get_attribute("data-rule")
    article.find_element(By.CSS_SELECTOR, "details.waive summary").click()
    article.find_element(By.NAME, "reason").send_keys("reviewed: the SDK is disclosed")
    _go(browser, article.find_element(By.CLASS_NAME, "waive-button"))
    assert browser.find_element(By.ID, "notice").text == "Waiver added."
    waived = browser.find_element(By.CSS_SELECTOR, f"article[data-rule='{rule}'] .waiver")
    assert "bob" in waived.text and "reviewed: the SDK is disclosed" in waived.text
    [w] = rt.record.waivers("store-a")
    assert (w["rule_id"], w["author"]) == (rule, "bob")


def test_a_wrong_password_and_a_forged_form_are_refused(browser, served, rt, desk) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    from selenium.webdriver.common.by import By

    _sign_in(browser, served, "alice", "not-her-password")
    assert browser.find_element(By.ID, "error").text == "用户名或密码错误，或账户已停用。"
    assert not [c for c in browser.get_cookies() if c["name"] == "gate_review"]
    _sign_in(browser, served, "alice", PASSWORDS["alice"])
    browser.get(f"{served}/review/builds/{desk['warn']}?lang=en")
    form = browser.find_element(By.ID, "reject-form")
    browser.execute_script("arguments[0].querySelector('[name=csrf]').value = 'forged'", form)
    form.find_element(By.NAME, "reason").send_keys("forged")
    _go(browser, browser.find_element(By.ID, "reject"))
    assert "The form expired or came from elsewhere" in _text(browser)
    assert rt.record.get_build(desk["warn"])["review_status"] == "pending"
    assert rt.record.decisions(desk["warn"]) == []
