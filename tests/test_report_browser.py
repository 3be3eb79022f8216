"""report.html in a real browser: headless Chromium, driven through Selenium, opens the report of a
small run (two markov rows, two corpora, two seeds) whose samples carry the per-text spans the
harness is to store (made here with ``benchmarks.metrics.spans``).

Skipped, with what to install, where Chromium, chromedriver or selenium is missing.
"""

from __future__ import annotations

import itertools
import json
import random
import statistics

import pytest
from html_support import MISSING_BROWSER, browser_available, chromium, stored_samples
from support import SMALL_RUN, run_config, small_config

from benchmarks.corpora import load_corpus
from benchmarks.metrics import NgramIndex, loop_onset_period
from benchmarks.metrics.spans import copied_spans, merge_spans
from generators.options import merged
from generators.testing.texts import make_text

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not browser_available(), reason=MISSING_BROWSER),
]

BROWSER_RUN = merged(  # markov (state 3) copies whole training lines; markov-1 (state 1) loops when greedy
    SMALL_RUN,
    {
        "run": {"name": "browser", "generators": ["markov", "markov-1"], "seeds": [0, 1]},
        "likelihood": {"bootstrap_resamples": 20},
        "sweep": {"max_chars": 200},
        "throughput": {"generate_chars": 4, "batch": 2, "score_chars": 500},
        "generators": {"markov": {"options": {"state_size": 3}}},
        "variants": {"markov-1": {"generator": "markov", "options": {"state_size": 1}}},
    },
)

# Code points of each underlined or shaded piece of a text: [start, end, classes] in document order.
PIECES_JS = """
const pieces = []; let at = 0;
for (const node of arguments[0].childNodes) {
  const size = Array.from(node.textContent).length;
  if (node.nodeType === 1 && node.tagName === 'SPAN') pieces.push([at, at + size, node.className]);
  at += size;
}
return pieces;
"""


def repeated_lines(seed: int = 0) -> str:
    """40 distinct lines, drawn 1,500 times: every test line is also in training."""
    lines = [make_text(60, seed=s).splitlines()[0] for s in range(40)]
    rng = random.Random(seed)
    return "\n".join(rng.choice(lines) for _ in range(1500)) + "\n"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("browser")
    (root / "lines.txt").write_text(repeated_lines(), encoding="utf-8")
    (root / "words.txt").write_text(make_text(20_000, seed=1), encoding="utf-8")
    config = small_config([root / "lines.txt", root / "words.txt"], data=BROWSER_RUN)
    run_dir = run_config(config, root / "run")
    trains = {name: load_corpus(name).train for name in config.run.corpus_names}
    samples = stored_samples(run_dir)  # with the annotations the harness stored
    results = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    return {"dir": run_dir, "samples": samples, "results": results, "trains": trains}


@pytest.fixture(scope="module")
def driver():
    with chromium(1280, 1000) as browser:
        yield browser


def open_report(driver, run):
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get((run["dir"] / "report.html").as_uri())
    WebDriverWait(driver, 10).until(lambda d: status(d).startswith("Showing"))
    return driver


def status(driver) -> str:
    return driver.find_element("id", "browser-status").text


def choose(driver, control: str, index: int) -> None:
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element("id", control)).select_by_index(index)


def press(driver, key: str) -> None:
    """A key pressed on the page itself (the focus taken off any control first)."""
    from selenium.webdriver.common.action_chains import ActionChains

    driver.execute_script("document.activeElement.blur()")
    ActionChains(driver).send_keys(key).perform()


def card_texts(driver) -> dict[tuple[str, str], str]:
    """(temperature label, row) -> the continuation shown."""
    shown = {}
    for section in driver.find_elements("css selector", "#sample-grid section.temperature"):
        for card in section.find_elements("css selector", "article.card"):
            text = card.find_element("css selector", "pre.text").get_attribute("textContent")
            shown[(section.get_attribute("data-temperature"), card.get_attribute("data-row"))] = text
    return shown


def stored(run, row: str, seed: int, temperature: float, corpus: int = 0) -> list[str]:
    name = run["samples"]["corpora"][corpus]["name"]
    cell = next(c for c in run["samples"]["cells"] if (c["row"], c["corpus"], c["seed"]) == (row, name, seed))
    return next(t["test"] for t in cell["temperatures"] if t["temperature"] == temperature)


def sweep_cell(run, row: str, seed: int, temperature: float, corpus: int = 0) -> dict:
    name = run["samples"]["corpora"][corpus]["name"]
    cell = next(c for c in run["results"]["cells"] if (c["row"], c["corpus"], c["seed"]) == (row, name, seed))
    return next(t for t in cell["sweep"] if t["temperature"] == temperature)


def test_the_page_opens_without_console_errors(driver, run):
    open_report(driver, run)
    messages = [entry for entry in driver.get_log("browser") if entry["level"] in ("SEVERE", "WARNING")]
    assert messages == []
    assert (
        status(driver) == f"Showing test 1 of 6, seed 0, sample 1 on {run['samples']['corpora'][0]['name']}."
    )


def test_the_tables_and_the_plots_are_there(driver, run):
    open_report(driver, run)
    sections = {"summary": 1, "likelihood": 1, "comparisons": 1, "sweep": 3, "throughput": 1}
    for corpus in run["results"]["corpora"]:
        for name, count in sections.items():
            found = driver.find_elements(
                "css selector", f"section[id='{corpus['key']}-{name}'] table.sortable"
            )
            assert len(found) >= count and all(t.find_elements("css selector", "tbody tr") for t in found)
    for name in ("across-corpora", "time"):
        assert driver.find_elements("css selector", f"section#{name} table.sortable tbody tr")
    images = driver.find_elements("css selector", "figure img")
    assert len(images) == len(list((run["dir"] / "plots").rglob("*.png")))
    assert all(driver.execute_script("return arguments[0].naturalWidth", image) > 100 for image in images)


def test_choosing_a_prompt_a_temperature_or_a_seed_changes_what_is_shown(driver, run):
    open_report(driver, run)
    assert card_texts(driver)[("T=1", "markov-1")] == stored(run, "markov-1", 0, 1.0)[0]
    choose(driver, "pick-prompt", 2)  # test prompt 3, its first sample: text 4 of the cell
    assert card_texts(driver)[("T=1", "markov-1")] == stored(run, "markov-1", 0, 1.0)[4]
    choose(driver, "pick-sample", 1)
    assert card_texts(driver)[("T=1", "markov-1")] == stored(run, "markov-1", 0, 1.0)[5]
    choose(driver, "pick-seed", 1)
    assert card_texts(driver)[("T=1", "markov-1")] == stored(run, "markov-1", 1, 1.0)[5]
    assert stored(run, "markov-1", 1, 1.0)[5] != stored(run, "markov-1", 0, 1.0)[5]
    choose(driver, "pick-temperature", 1)  # T=0 alone
    assert set(card_texts(driver)) == {("T=0 (greedy)", "markov"), ("T=0 (greedy)", "markov-1")}
    choose(driver, "pick-corpus", 1)
    assert status(driver).endswith(f"on {run['samples']['corpora'][1]['name']}.")
    assert card_texts(driver)[("T=0 (greedy)", "markov")] == stored(run, "markov", 0, 0.0, corpus=1)[0]


def test_the_keyboard_moves_between_prompts_seeds_and_temperatures(driver, run):
    open_report(driver, run)
    prompt = driver.find_element("id", "pick-prompt")
    for key, expected in (("j", "1"), ("\ue014", "2"), ("k", "1"), ("\ue012", "0"), ("k", "5")):
        press(driver, key)  # \ue014 is the right arrow, \ue012 the left one
        assert prompt.get_attribute("value") == expected
    assert driver.find_element("css selector", "#prompt-view pre.text").text == "The king "
    press(driver, "s")
    assert status(driver).startswith("Showing demo 2 of 6, seed 1")
    press(driver, "t")
    assert [
        s.get_attribute("data-temperature")
        for s in driver.find_elements("css selector", "section.temperature")
    ] == ["T=0 (greedy)"]


def shown_loop(driver, card) -> tuple[str, list, str]:
    """(the text, its shaded pieces, the loop as the metrics beside it read)."""
    pre = card.find_element("css selector", "pre.text")
    pieces = [p for p in driver.execute_script(PIECES_JS, pre) if "loop" in p[2].split()]
    metrics = dict(
        zip(
            [dt.text for dt in card.find_elements("css selector", "dt")],
            [dd.text for dd in card.find_elements("css selector", "dd")],
            strict=True,
        )
    )
    return pre.get_attribute("textContent"), pieces, metrics["loop"]


def test_a_shaded_loop_covers_the_characters_the_loop_metrics_report(driver, run):
    open_report(driver, run)
    choose(driver, "pick-temperature", 1)  # T=0, where markov-1 loops
    looped, onsets, periods = 0, [], []
    for sample in (0, 1):
        choose(driver, "pick-prompt", 0)
        choose(driver, "pick-sample", sample)
        for _ in range(4):  # the test prompts
            card = driver.find_element("css selector", "article.card[data-row='markov-1']")
            text, pieces, words = shown_loop(driver, card)
            if words != "none":
                looped += 1
                onset, period = loop_onset_period(text, BROWSER_RUN["sweep"]["max_chars"])
                assert pieces[0][0] == onset and pieces[-1][1] == len(text)
                assert all(a[1] == b[0] for a, b in itertools.pairwise(pieces))  # no gap
                assert all((start - onset) % period == 0 for start, _, _ in pieces)  # a piece per period
                assert words == f"chars {onset}–{len(text)}, period {period}"
                onsets.append(onset)
                periods.append(period)
            else:
                assert pieces == []
            press(driver, "j")
    cell = sweep_cell(run, "markov-1", 0, 0.0)
    assert looped == cell["loop_rate"] * cell["samples"] > 1
    assert statistics.median(onsets) == cell["loop_onset_median"]
    assert statistics.median(periods) == cell["loop_period_median"]


def test_the_long_continuation_is_folded_with_its_cycle_shaded_and_its_attractor_named(driver, run):
    open_report(driver, run)
    choose(driver, "pick-temperature", 1)  # T=0, where markov-1 cycles
    name = run["samples"]["corpora"][0]["name"]
    cell = next(
        c for c in run["results"]["cells"] if (c["row"], c["corpus"], c["seed"]) == ("markov-1", name, 0)
    )
    probe = next(t for t in cell["cycles"] if t["temperature"] == 0.0)
    sizes, per_prompt = probe["attractor_sizes"], probe["per_prompt"]
    for prompt in range(4):  # the test prompts
        choose(driver, "pick-prompt", prompt)
        card = driver.find_element("css selector", "article.card[data-row='markov-1']")
        folded = card.find_element("css selector", "details.long")
        assert folded.get_attribute("open") is None  # collapsed by default
        number = per_prompt["attractor"][prompt]
        words = f"attractor {number} of {len(sizes)}, {sizes[number - 1]} prompt"
        assert words in folded.find_element("css selector", "summary").get_attribute("textContent")
        pre = folded.find_element("css selector", "pre.text")
        pieces = [p for p in driver.execute_script(PIECES_JS, pre) if "loop" in p[2].split()]
        onset, period = per_prompt["onset"][prompt], per_prompt["period"][prompt]
        assert pieces[0][0] == onset and pieces[-1][1] == len(pre.get_attribute("textContent"))
        assert all((start - onset) % period == 0 for start, _, _ in pieces)


def test_underlines_cover_the_copied_eight_grams(driver, run):
    open_report(driver, run)
    index = NgramIndex.from_text(run["trains"][run["samples"]["corpora"][0]["name"]])
    checked = 0
    for card in driver.find_elements("css selector", "article.card"):
        pre = card.find_element("css selector", "pre.text")
        text = pre.get_attribute("textContent")
        pieces = [(a, b) for a, b, classes in driver.execute_script(PIECES_JS, pre) if "copied" in classes]
        expected = copied_spans(text, index)
        assert merge_touching(pieces) == merge_touching(expected)
        checked += bool(expected)
    assert checked >= 3  # the human text and markov's continuations copy training lines


def merge_touching(spans) -> list[tuple[int, int]]:
    return merge_spans((a, b + 1) for a, b in spans)


def column(driver, table, index: int) -> list[str]:
    rows = table.find_elements("css selector", "tbody tr")
    return [row.find_elements("tag name", "td")[index].text for row in rows]


def leading_number(cell: str) -> float:
    """The mean a table cell starts with ("4,729 ± 12" gives 4729.0)."""
    return float(cell.split(" ± ")[0].replace(",", ""))


def test_clicking_a_header_sorts_its_column_and_the_human_row_stays_last(driver, run):
    open_report(driver, run)
    table = driver.find_element("css selector", "section[id$='-summary'] table.sortable")
    headers = [th.text.rstrip(" ↕▲▼") for th in table.find_elements("css selector", "thead th")]
    where = headers.index("word perplexity")
    button = table.find_elements("css selector", "thead th button")[where]
    button.click()
    values = column(driver, table, where)
    assert column(driver, table, 0)[-1] == "human (test split)"
    numbers = [leading_number(v) for v in values[:-1]]
    assert numbers == sorted(numbers) and len(numbers) == 2
    assert table.find_elements("css selector", "thead th")[where].get_attribute("aria-sort") == "ascending"
    button.click()
    numbers = [leading_number(v) for v in column(driver, table, where)[:-1]]
    assert numbers == sorted(numbers, reverse=True)


def test_at_800_pixels_nothing_is_cut_off(run):
    with chromium(800, 1000) as narrow:
        open_report(narrow, run)
        width = narrow.execute_script("return document.documentElement.scrollWidth")
        assert width <= narrow.execute_script("return window.innerWidth")
        for card in narrow.find_elements("css selector", "article.card"):
            box = narrow.execute_script("return arguments[0].getBoundingClientRect().right", card)
            assert box <= 800
        # the summary and its model cards read without sideways scrolling
        wraps = narrow.find_elements("css selector", "section[id$='summary'] .table-wrap")
        assert len(wraps) >= 2 * len(run["results"]["corpora"])
        widths = "return [arguments[0].querySelector('caption').textContent, arguments[0].scrollWidth, "
        widths += "arguments[0].clientWidth]"
        for wrap in wraps:
            label, scroll, client = narrow.execute_script(widths, wrap)
            assert scroll <= client, (label, scroll, client)


def test_a_click_on_a_plot_enlarges_it_and_a_second_click_closes_it(driver, run):
    open_report(driver, run)
    plot = driver.find_element("css selector", "figure img")
    dialog = driver.find_element("id", "lightbox")
    assert not dialog.get_attribute("open")
    plot.click()
    assert dialog.get_attribute("open") is not None
    large = dialog.find_element("css selector", "img")
    assert large.get_attribute("src") == plot.get_attribute("src")
    assert large.size["width"] > plot.size["width"]
    dialog.click()
    assert dialog.get_attribute("open") is None


def test_the_sample_browser_follows_the_tables_and_the_navigation_links_to_it(driver, run):
    open_report(driver, run)
    order = driver.execute_script(
        "return Array.from(document.querySelectorAll('main > section')).map(s => s.id)"
    )
    assert order.index("samples") > max(order.index(c["key"]) for c in run["results"]["corpora"])
    assert order.index("samples") < order.index("time")
    assert driver.find_element("css selector", "nav a[href='#samples']")
