"""Helpers for the HTML report's tests: per-text annotations as the harness is to store them, and a
headless Chromium driven through Selenium."""

from __future__ import annotations

import gzip
import json
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from benchmarks.metrics.spans import text_annotation
from benchmarks.samples import train_indexes

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
MISSING_BROWSER = (
    "needs Chromium and its driver: apt-get install -y chromium chromium-driver "
    "(and selenium, in the test extra: pip install -e '.[test]')"
)
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


def annotate(texts: list[str], indexes: dict[str, Any]) -> list[dict[str, Any]]:
    return [text_annotation(text, indexes["ngrams"], indexes["vocabulary"]) for text in texts]


def annotate_samples(run_dir: Path, trains: dict[str, str]) -> dict[str, Any]:
    """Add to the run's samples.json.gz the annotations the HTML report reads (keys in
    ``benchmarks.report.browser``), from each corpus's train split (``trains``, by corpus name)."""
    path = run_dir / "samples.json.gz"
    samples = json.loads(gzip.decompress(path.read_bytes()))
    indexes = {name: train_indexes(train) for name, train in trains.items()}
    for corpus in samples["corpora"]:
        humans = [p["human"] for p in corpus["prompts"]["test"]]
        corpus["human_annotations"] = annotate(humans, indexes[corpus["name"]])
    for cell in samples["cells"]:
        for entry in cell["temperatures"]:
            entry["annotations"] = annotate(entry["test"], indexes[cell["corpus"]])
            entry["demo_annotations"] = annotate(entry["demo"], indexes[cell["corpus"]])
    text = json.dumps(samples, separators=(",", ":"), ensure_ascii=False)
    path.write_bytes(gzip.compress(text.encode("utf-8"), mtime=0))
    return samples


def browser_available() -> bool:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return False
    return Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()


@contextmanager
def chromium(width: int = 1280, height: int = 900) -> Iterator[Any]:
    """A headless Chromium of the given window size, its browser log kept, in a new profile."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="textgen-bench-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
