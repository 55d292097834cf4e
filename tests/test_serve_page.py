"""The page at / of keyword-lightning serve, in a real headless Chromium driven by Selenium.

Chromium and chromedriver come from the system's package manager (Debian: ``apt-get install
chromium chromium-driver``; ``.ci/run`` installs them); nothing is downloaded at test time. The test
skips only when no browser is installed, and fails instead with KW_REQUIRE_BROWSER=1 (set by .ci/run).
"""

import os
import shutil

import pytest

from tests.serving import Server, make_tiny_checkpoint

TEXT = "A survey of graph theory in optimization.\nNeural networks learn keyphrase extraction \U0001f600 graph theory."


def find_browser() -> tuple[str, str]:
    browser = next(filter(None, map(shutil.which, ["chromium", "chromium-browser", "google-chrome"])), None)
    driver = shutil.which("chromedriver")
    if browser and driver:
        return browser, driver
    reason = "no Chromium and chromedriver installed (apt-get install chromium chromium-driver)"
    if os.environ.get("KW_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason}; KW_REQUIRE_BROWSER=1")
    pytest.skip(reason)


@pytest.fixture()
def browser(tmp_path, monkeypatch):
    binary, driver_path = find_browser()
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    monkeypatch.setenv("SE_OFFLINE", "true")  # Selenium Manager must not fetch drivers or browsers
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--user-data-dir={tmp_path / 'profile'}"]:  # fmt: skip
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory):
    return make_tiny_checkpoint(tmp_path_factory.mktemp("page"))


def test_paste_submit_and_the_keyphrases_are_highlighted(browser, tiny_checkpoint):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    server = Server(tiny_checkpoint)
    try:
        status, record = server.post({"text": TEXT})
        assert status == 200
        (record,) = record["records"]
        assert record["keyphrases"], "the tiny model finds keyphrases in its own corpus"

        browser.get(server.url + "/")
        box = browser.find_element(By.ID, "text")
        box.send_keys(TEXT)
        browser.find_element(By.ID, "submit").click()
        WebDriverWait(browser, 60).until(ec.visibility_of_element_located((By.CSS_SELECTOR, "#marked mark")))

        marks = [m.text for m in browser.find_elements(By.CSS_SELECTOR, "#marked mark")]
        assert marks == [k["text"] for k in record["keyphrases"]]  # each in text order, at its offsets
        assert browser.find_element(By.ID, "marked").text == TEXT  # the whole text, nothing lost or doubled
        rows = [li.text for li in browser.find_elements(By.CSS_SELECTOR, "#phrases li")]
        times = [len(k["occurrences"]) for k in record["ranked"]]
        expected = [
            f"{k['score']:.3f}  {k['text']}" + (f" (x{n})" if n > 1 else "") for k, n in zip(record["ranked"], times)
        ]
        assert rows == expected  # the ranking, as --trainer.callbacks.format table shows it
        n = len(record["keyphrases"])
        assert browser.find_element(By.ID, "heading").text == f"{n} keyphrase{'s' * (n != 1)}"

        box.clear()
        box.send_keys("x" * 10)
        browser.execute_script("document.getElementById('text').value = '\\ud800'")  # a lone surrogate
        browser.find_element(By.ID, "submit").click()
        WebDriverWait(browser, 60).until(lambda d: d.find_element(By.ID, "error").text)
        assert "surrogate" in browser.find_element(By.ID, "error").text
    finally:
        assert server.stop() == 0


def test_a_chosen_file_is_uploaded_and_its_text_marked_with_pages(browser, tiny_checkpoint, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    from benchmarks.make_files import write_bad_files, write_pdf
    from tests.test_documents import TITLE, paragraphs

    pdf = write_pdf(tmp_path / "paper.pdf", TITLE, paragraphs(30, seed=21))
    write_bad_files(tmp_path / "bad", paragraphs(3))
    server = Server(tiny_checkpoint)
    try:
        browser.get(server.url + "/")
        browser.find_element(By.ID, "file").send_keys(str(pdf))
        browser.find_element(By.ID, "submit").click()
        WebDriverWait(browser, 60).until(ec.visibility_of_element_located((By.CSS_SELECTOR, "#marked mark")))
        source = browser.find_element(By.ID, "source").text
        assert source.startswith('paper.pdf · PDF · "Graph theory in optimization" · ') and "pages" in source
        marked = browser.find_element(By.ID, "marked").text
        assert " ".join(marked.split()) == " ".join([TITLE, *paragraphs(30, seed=21)])  # the text read, marked
        rows = [li.text for li in browser.find_elements(By.CSS_SELECTOR, "#phrases li")]
        assert rows and all("  p. " in row for row in rows)  # each keyphrase with its pages

        browser.find_element(By.ID, "file").send_keys(str(tmp_path / "bad" / "encrypted.pdf"))
        browser.find_element(By.ID, "submit").click()
        WebDriverWait(browser, 60).until(lambda d: d.find_element(By.ID, "error").text)
        assert browser.find_element(By.ID, "error").text == "encrypted.pdf: encrypted PDF (it needs a password to open)"
        browser.find_element(By.ID, "clear").click()  # back to the text box
        browser.find_element(By.ID, "text").send_keys("graph theory and optimization")
        browser.find_element(By.ID, "submit").click()
        WebDriverWait(browser, 60).until(lambda d: not d.find_element(By.ID, "error").text)
        WebDriverWait(browser, 60).until(lambda d: d.find_element(By.ID, "source").text == "")
    finally:
        assert server.stop() == 0
