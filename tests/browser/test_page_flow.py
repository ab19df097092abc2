"""A real browser walks each framework's example comment form: the widget
loads under the app's strict CSP with no violation and renders once; solve
→ submit runs the action; the same token again is refused as replayed with
the form still filled in; an old token is refused as expired; a loader that
cannot load shows the hint. Screenshots of the failure pages go to
target/browser/ (PASSGATE_BROWSER_OUT)."""

from __future__ import annotations

import http.server
import threading
import urllib.request
from typing import Iterator, List

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

import passgate
from conftest import OUT, App, Emulator, start_app, stop_app

FRAMEWORKS = ["django", "flask", "express", "rails", "php"]
FORM_FIELDS = {"turnstile": "cf-turnstile-response", "captchala": "captchala_token",
               "recaptcha": "g-recaptcha-response", "hcaptcha": "h-captcha-response"}


def expected_message(code: str) -> str:
    # The core's English message for `code`, through the Python binding's
    # test mode (pt_test_<code> answers that code).
    return passgate.Verifier(mode="test", environment="test").validate(f"pt_test_{code}").message


def csp_violations(driver: webdriver.Chrome) -> List[str]:
    return [entry["message"] for entry in driver.get_log("browser") if "Content Security Policy" in entry["message"]]


def wait(driver: webdriver.Chrome, seconds: float = 20) -> WebDriverWait:
    return WebDriverWait(driver, seconds, poll_frequency=0.05)


def open_form(driver: webdriver.Chrome, app: App) -> None:
    driver.get(app.url + "/")
    frames = wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".passgate-challenge iframe"))
    assert len(frames) == 1, "the widget renders once"


def solve(driver: webdriver.Chrome, app: App) -> str:
    driver.switch_to.frame(driver.find_element(By.CSS_SELECTOR, ".passgate-challenge iframe"))
    driver.find_element(By.ID, "solve").click()
    wait(driver).until(lambda d: d.find_element(By.ID, "status").text == "Solved")
    driver.switch_to.default_content()
    field = FORM_FIELDS[app.provider]
    script = f"var f = document.querySelector(\"[name='{field}']\"); return f ? f.value : '';"
    return str(wait(driver).until(lambda d: d.execute_script(script)))


def fill_and_post(driver: webdriver.Chrome, name: str, comment: str) -> None:
    for selector, text in (("input[name='name']", name), ("textarea[name='comment']", comment)):
        element = driver.find_element(By.CSS_SELECTOR, selector)
        element.clear()
        element.send_keys(text)
    driver.find_element(By.CSS_SELECTOR, "button[type='submit']").click()


def refused_with(driver: webdriver.Chrome, code: str) -> None:
    error = wait(driver).until(lambda d: d.find_element(By.ID, "error"))
    assert error.get_attribute("data-code") == code
    assert error.text == expected_message(code)
    # The form came back with what the user typed.
    assert driver.find_element(By.CSS_SELECTOR, "input[name='name']").get_attribute("value") == "Ada"
    assert driver.find_element(By.CSS_SELECTOR, "textarea[name='comment']").get_attribute("value") == "Hello from Ada"


def csp_header(app: App) -> str:
    with urllib.request.urlopen(app.url + "/", timeout=10) as response:
        return str(response.headers["Content-Security-Policy"] or "")


@pytest.fixture(params=FRAMEWORKS)
def app(request: pytest.FixtureRequest, emulator: Emulator) -> Iterator[App]:
    app = start_app(request.param, emulator)
    emulator.widget(loader_missing=False, token_age_s=0)
    yield app
    emulator.widget(loader_missing=False, token_age_s=0)
    stop_app(app)


def test_the_whole_flow(app: App, emulator: Emulator, browser: webdriver.Chrome) -> None:
    header = csp_header(app)
    with open(OUT / "csp-headers.txt", "a") as sink:
        sink.write(f"{app.framework}: {header}\n")
    assert header and "unsafe-inline" not in header and "'nonce-" in header, header
    browser.get_log("browser")  # start from a clean console

    # The page loads with no CSP violation; the widget renders once.
    open_form(browser, app)
    token = solve(browser, app)
    assert csp_violations(browser) == []

    # Solve → submit → the protected action runs.
    fill_and_post(browser, "Ada", "Hello from Ada")
    saved = wait(browser).until(lambda d: d.find_element(By.ID, "saved"))
    assert "Ada" in saved.text

    # Back, and submit the same token again (the browser's copy of the form
    # holds it; the stand-in's field is made by script, so it is put back).
    browser.back()
    wait(browser).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".passgate-challenge iframe"))
    field = FORM_FIELDS[app.provider]
    browser.execute_script(f"document.querySelector(\"[name='{field}']\").value = arguments[0];", token)
    fill_and_post(browser, "Ada", "Hello from Ada")
    refused_with(browser, "replayed")
    browser.save_screenshot(str(OUT / f"{app.framework}-replayed.png"))

    # A token older than the allowed age.
    emulator.widget(token_age_s=3600)
    open_form(browser, app)
    solve(browser, app)
    fill_and_post(browser, "Ada", "Hello from Ada")
    refused_with(browser, "expired")
    browser.save_screenshot(str(OUT / f"{app.framework}-expired.png"))
    emulator.widget(token_age_s=0)

    # The loader cannot load: the form says so instead of a dead button.
    emulator.widget(loader_missing=True)
    browser.get(app.url + "/")
    hint = wait(browser).until(lambda d: d.find_element(By.CSS_SELECTOR, ".passgate-widget-error"))
    wait(browser).until(lambda d: hint.is_displayed())
    assert "could not load" in hint.text
    browser.save_screenshot(str(OUT / f"{app.framework}-loader-blocked.png"))
    assert csp_violations(browser) == []


@pytest.mark.parametrize("provider", ["captchala", "recaptcha", "hcaptcha"])
def test_every_provider_widget_passes_in_flask(provider: str, emulator: Emulator, browser: webdriver.Chrome) -> None:
    # reCAPTCHA v2 and hCaptcha answer no action: validate without one.
    action = "comment" if provider == "captchala" else ""
    app = start_app("flask", emulator, provider=provider, action=action)
    try:
        browser.get_log("browser")
        open_form(browser, app)
        solve(browser, app)
        fill_and_post(browser, "Ada", "Hello from Ada")
        assert "Ada" in wait(browser).until(lambda d: d.find_element(By.ID, "saved")).text
        assert csp_violations(browser) == []
    finally:
        stop_app(app)


def serve(body: bytes, policy: str) -> http.server.ThreadingHTTPServer:
    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Security-Policy", policy)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_two_widgets_on_one_page_render_once_each(emulator: Emulator, browser: webdriver.Chrome) -> None:
    verifier = passgate.Verifier(provider="turnstile", secret_key="test-secret-key", site_key="test-site-key",
                                 environment="test", api_base=emulator.url,
                                 script_url=f"{emulator.url}/__mock/loader/turnstile.js")
    forms = "".join(f"<form id='f{i}'>{verifier.widget(f'form{i}')}</form>" for i in (1, 2))
    policy = "default-src 'self'; " + "; ".join(f"{d} {' '.join(s)}" for d, s in verifier.csp().items())
    server = serve(f"<!doctype html><html><body>{forms}</body></html>".encode(), policy)
    try:
        browser.get_log("browser")
        browser.get(f"http://127.0.0.1:{server.server_address[1]}/")
        frames = wait(browser).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".passgate-challenge iframe")) == 2
                                     and d.find_elements(By.CSS_SELECTOR, ".passgate-challenge iframe"))
        loaders = browser.find_elements(By.CSS_SELECTOR, "script[data-passgate-loader]")
        assert len(loaders) == 1, "the provider's script is loaded once per page"
        for form in ("f1", "f2"):
            assert len(browser.find_elements(By.CSS_SELECTOR, f"#{form} .passgate-challenge iframe")) == 1
        # Solving the second challenge fills the second form's field only.
        browser.switch_to.frame(frames[1])
        browser.find_element(By.ID, "solve").click()
        wait(browser).until(lambda d: d.find_element(By.ID, "status").text == "Solved")
        browser.switch_to.default_content()
        value = "return document.querySelector(arguments[0] + ' [name=cf-turnstile-response]').value;"
        assert wait(browser).until(lambda d: d.execute_script(value, "#f2"))
        assert browser.execute_script(value, "#f1") == ""
        assert csp_violations(browser) == []
    finally:
        server.shutdown()


def test_the_console_check_sees_a_violation(browser: webdriver.Chrome) -> None:
    # The checks above would pass vacuously if Chromium's console did not
    # report CSP violations; here one must be seen.
    server = serve(b"<!doctype html><script>document.title = 'ran'</script>", "script-src 'self'")
    try:
        browser.get_log("browser")
        browser.get(f"http://127.0.0.1:{server.server_address[1]}/")
        assert browser.title != "ran"
        assert any("inline script" in message for message in csp_violations(browser))
    finally:
        server.shutdown()
