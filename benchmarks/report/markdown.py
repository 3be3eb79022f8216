"""``report.md``: the sections of a run's report, in reading order, from a :class:`Run` only."""

from __future__ import annotations

import json
from typing import Any

from benchmarks.report import (
    cards,
    changes,
    cycling,
    load,
    provenance,
    references,
    samples_md,
    scaling,
    significance,
    strategies,
    tables,
)
from benchmarks.report import formatting as fmt
from benchmarks.report.data import CorpusRun, Run
from benchmarks.report.plots import device_name

FOOTNOTE = (
    "¹ Native token perplexity is exp(NLL / the model's own tokens): it is **not comparable across "
    "tokenizers** (a character model and a word model divide the same NLL by different counts)."
)


def sweep_settings(run: CorpusRun) -> dict:
    return run.section("config", "sweep")


def title(run: Run) -> list[str]:
    corpora = ", ".join(run.corpus_names) or "unknown corpus"
    profile = run.section("config", "run").get("name") or "run"
    date = str(run.data.get("created") or "")[:10] or "undated"
    return [f"# textgen-bench: {corpora} · profile {profile} · {date}", ""]


def how_to_read(run: CorpusRun) -> list[str]:
    sweep = sweep_settings(run)
    temperatures = ", ".join(f"{t:g}" for t in run.temperatures) or fmt.DASH
    text = (
        "**bpc** (bits per character) is the test split's negative log-likelihood in bits divided by "
        "its number of characters: lower is better, and it is comparable across character, word, BPE "
        "and n-gram models because every model scores exactly the same characters (so is bits per byte, "
        "and **word perplexity**, exp(NLL / words), where the words are counted as lm-evaluation-harness "
        "counts them: the pieces of the test text between runs of whitespace, `len(re.split(r\"\\s+\", "
        "text))`, the same count for every model). **Native token "
        "perplexity** divides by each model's own tokens and is **not** comparable across tokenizers. "
        f"The sweep samples {continuations(sweep.get('samples_per_prompt'))} of "
        f"{sweep.get('max_chars', '?')} characters for each of {run.test_prompt_count} test prompts at "
        f"temperatures {temperatures} (T=0 is greedy argmax; T=1 samples the model's own distribution). "
        "Repetition (seq-rep-n, loop rate) and Self-BLEU-4 are better lower, distinct-n higher; the "
        "**human** row is the true test-split continuation of the same prompts, measured the same way: "
        "the value a generator should come close to, not a score to beat."
    )
    lines = ["## How to read this", "", text, "", sample_counts_text(run), ""]
    return lines + references.reading_guide(run.run)


def continuations(count: int | None) -> str:
    """'1 continuation', '4 continuations', '? continuations' (count not recorded)."""
    if count is None:
        return "? continuations"
    return f"{count} continuation{'' if count == 1 else 's'}"


def sample_counts_text(run: CorpusRun) -> str:
    """Which texts the per-continuation and the pooled metrics of a sweep cell used."""
    samples, pooled = run.sample_counts()
    every = f"all {fmt.count(samples)}" if samples is not None else "all"
    if pooled is None:  # results written before pooled_samples was recorded
        pooled_text = "distinct-n, Self-BLEU-4 and Zipf were pooled over all of them"
    else:
        pooled_text = (
            "the pooled metrics (distinct-n, Self-BLEU-4, Zipf), whose values depend on how many texts "
            f"they pool, use the first sample of each prompt only: {fmt.count(pooled)} texts per cell"
        )
    return (
        "Per-continuation metrics (seq-rep-n, loop rate, loop onset and period, copy rate, valid-word "
        f"rate, mean length, judge bpc) use {every} continuations of a cell; {pooled_text}. The human "
        f"row has one text per prompt ({fmt.count(run.test_prompt_count)}). A continuation is "
        "**looped** when it ends in at least three repetitions of a phrase holding a word, or two "
        "that cover a fifth of its characters (a last word the character limit cut is left out, and "
        "must agree with the phrase); the loop onset and period are medians over the looped texts. **Loop rate (Holtzman)** "
        "is Holtzman et al.'s rule: the text ends in at least two copies of a phrase of 3 or more tokens, "
        "or in more than 50 copies of a shorter one. Its two-copies clause flags a phrase of three words "
        "said twice at the end, which the headline rule does not (it wants three copies, or two covering "
        "a fifth of the text), so it can flag more texts; its 50-copies clause misses loops of one or two "
        "tokens in 300 characters. Distinct-n, Self-BLEU-4 and the Zipf coefficient "
        "change with how many texts they pool and how long those are: compare them within one run, "
        "not across runs of other sizes."
    )


def budget_notes(run: CorpusRun) -> list[str]:
    """Footnotes for rows whose training was bounded by time rather than fixed work."""
    notes = []
    load = [n for n in run.names if run.row_flags(n).get("load_dependent")]
    cut = {
        n: run.row_flags(n).get("cut_short_seeds")
        for n in run.names
        if run.row_flags(n).get("cut_short_seeds")
    }
    if load:
        notes.append(
            f"{tables.LOAD_MARK} Trained for a wall-clock budget (`budget_seconds`): these numbers depend on the "
            "machine and how busy it was, and are not the profile's reference numbers."
        )
    if cut:
        seeds = "; ".join(f"{n}: seed {', '.join(map(str, s))}" for n, s in cut.items())
        notes.append(
            f"{tables.CUT_MARK} A time cap stopped the fixed-work training early ({seeds}): cut short, so not "
            "the profile's reference numbers."
        )
    return [*[line for note in notes for line in (note, "")]]


def verdict(run: CorpusRun, depth: str = "##") -> list[str]:
    """What the run found, at which budget, and what it does not claim."""
    return [f"{depth} Verdict", "", *significance.verdict(run), *cards.scope_lines(run)]


RANK_NOTE = (
    "*rank*: by test bpc; generators that the paired tests cannot separate at α = 0.05 share a rank "
    '("1="), so the order of the table claims no more than the data support (see Comparisons).'
)


def summary(run: CorpusRun, earlier: CorpusRun | None, depth: str = "##") -> list[str]:
    """The summary table and each row's model card."""
    lines = [f"{depth} Summary", "", fmt.markdown_table(tables.summary_table(run, earlier)), ""]
    lines += [*budget_notes(run), RANK_NOTE, "", *model_cards(run, depth)]
    if earlier is not None:
        lines += changes.comparison(earlier, run, depth)
    return lines


def model_cards(run: CorpusRun, depth: str = "##") -> list[str]:
    table = fmt.markdown_table(cards.cards_table(run))
    return [f"{depth}# Models", "", table, "", cards.cards_note(run), ""]


def likelihood(run: CorpusRun, earlier: CorpusRun | None, depth: str = "##") -> list[str]:
    settings = run.section("config", "likelihood")
    scored = settings.get("max_test_chars") or 0
    scope = f"the first {fmt.count(scored)} characters" if scored else "the whole test split"
    compared = run.comparisons("bpc")
    chunks = fmt.chunk_layout(run.chunk_lengths)
    resamples = fmt.count(compared.get("resamples", settings.get("bootstrap_resamples")))
    over = (
        "training seeds, then test chunks (the same chunks for every drawn seed)"
        if len(run.run.seeds) > 1
        else "test chunks"
    )
    note = (
        f"Scored on {scope}. 95% interval: a percentile bootstrap over {over}; {chunks}, {resamples} "
        "resamples (Owen 2007's pigeonhole bootstrap)."
    )
    table = fmt.markdown_table(tables.likelihood_table(run, earlier))
    return [f"{depth} Likelihood", "", table, "", FOOTNOTE, "", note, "", *references.published_notes(run)]


def sweep(run: CorpusRun, depth: str = "##") -> list[str]:
    settings = sweep_settings(run)
    quality = strategies.judge_note(run) or "sample quality not judged"
    lines = [
        f"{depth} Repetition and diversity across temperatures",
        "",
        f"top-k {settings.get('top_k', 0) or 'off'}, top-p {settings.get('top_p', 1.0):g}; {quality}. "
        "Loop onset and period are in characters, medians over the looped continuations.",
        "",
    ]
    missing = [n for n in run.names if not run.has_sweep(n)]
    if missing:
        lines += [f"No sweep for: {', '.join(tables.label(run, n) for n in missing)}.", ""]
    for group, metrics in tables.SWEEP_GROUPS.items():
        lines += [f"{depth}# {group}", "", fmt.markdown_table(tables.sweep_table(run, metrics)), ""]
    return lines


def plots(drawn: dict[str, tuple[str, bool]], folder: str, depth: str = "##") -> list[str]:
    lines = [f"{depth} Plots", ""]
    for file, (caption, ok) in drawn.items():
        lines += [f"![{caption}]({folder}/{file})" if ok else f"*{caption}: no data to plot.*", ""]
    return lines


def sharing_note(run: CorpusRun) -> str:
    """With cells run several at once (--jobs N), each cell's speeds are those of a shared machine."""
    device = run.section("environment", "device")
    jobs, threads = device.get("cells_at_once"), device.get("torch_threads")
    if not isinstance(jobs, int) or jobs < 2:
        return ""
    each = f" on {threads} torch thread{'' if threads == 1 else 's'} each" if threads else ""
    return (
        f" Cells ran {jobs} at once (`--jobs {jobs}`){each}: every speed here was measured beside "
        "other cells' work, so it is lower than one cell alone on the machine would get."
    )


def throughput(run: CorpusRun, depth: str = "##") -> list[str]:
    settings = run.section("config", "throughput")
    kinds = set(tables.memory_kinds(run).values())
    memory = f" Peak memory: {kinds.pop()}." if len(kinds) == 1 else ""
    repeats = settings.get("repeats", "?")
    note = (
        f"Median of {repeats} timed repeat{'' if repeats == 1 else 's'} after one untimed warm-up; generation of "
        f"{settings.get('generate_chars', '?')} characters per prompt, scoring of "
        f"{fmt.count(settings.get('score_chars'))} characters; training chars/s = training characters / "
        f"training seconds (validation passes excluded).{memory}{sharing_note(run)}"
    )
    note = f"{note} {load.load_note(run)}"
    return [
        f"{depth} Throughput on {device_name(run)}",
        "",
        fmt.markdown_table(tables.throughput_table(run)),
        "",
        note,
        "",
    ]


def environment(run: Run) -> list[str]:
    env = run.section("environment")
    libraries = ", ".join(f"{k} {v}" for k, v in (env.get("libraries") or {}).items()) or fmt.DASH
    device = ", ".join(f"{k} {v}" for k, v in (env.get("device") or {}).items()) or fmt.DASH
    sweep = run.section("config", "sweep")
    items = [
        ("commit", f"`{env.get('commit') or 'unknown'}`"),
        ("created", run.data.get("created")),
        ("libraries", libraries),
        ("lock", provenance.lock_words(env)),
        ("CPU", f"{provenance.cpu_model(env)}, vector capability {provenance.cpu_capability(env)}"),
        ("platform", env.get("platform")),
        ("device", device),
        ("samples per prompt", sweep.get("samples_per_prompt")),
        ("continuation length (chars)", sweep.get("max_chars")),
        ("training seeds", ", ".join(map(str, run.seeds))),
        ("config file", f"`{run.data.get('config_file') or fmt.DASH}`"),
    ]
    for view in run.views:
        summary = view.corpus.get("summary") or {}
        sizes = summary.get("chars") or {}
        items += [
            (f"corpus {view.name}", f"sha256 `{summary.get('sha256')}`"),
            ("split rule", summary.get("split_rule") or fmt.DASH),
            ("split sizes (chars)", ", ".join(f"{k} {fmt.count(v)}" for k, v in sizes.items()) or fmt.DASH),
            ("test prompts", f"{view.test_prompt_count} (plus {len(view.demo_prompts)} demo prompts)"),
        ]
    lines = ["## Environment", ""]
    lines += [f"- **{key}**: {value if value not in (None, '') else fmt.DASH}" for key, value in items]
    config = json.dumps(run.config, indent=2, ensure_ascii=False)
    return [*lines, "", "The full configuration:", "", fmt.code_block(config, "json"), ""]


def corpus_sections(
    view: CorpusRun,
    drawn: dict[str, tuple[str, bool]],
    folder: str,
    earlier: CorpusRun | None,
    depth: str,
    guide: list[str],
    samples: dict[str, Any] | None,
) -> list[list[str]]:
    """One corpus's sections in reading order: the verdict and summary, ``guide`` (how to read the
    rest), the measurements, the comparisons, three test prompts, plots and throughput."""
    return [
        verdict(view, depth),
        summary(view, earlier, depth),
        strategies.operating_points_section(view, depth),
        guide,
        likelihood(view, earlier, depth),
        sweep(view, depth),
        cycling.cycling_lines(view, depth),
        strategies.strategies_section(view, depth),
        significance.comparisons(view, depth),
        scaling.section(view, depth),
        samples_md.test_prompt_samples(view, samples, depth),
        plots(drawn, folder, depth),
        throughput(view, depth),
    ]


def where_the_time_went(run: Run) -> list[str]:
    note = (
        "Wall-clock seconds of each stage of every cell (summed over a row's seeds) and of each corpus's "
        "judge, as the workers measured them; with `--jobs N` cells overlap, so the run took less than "
        "the total."
    )
    return ["## Where the time went", "", note, "", fmt.markdown_table(tables.time_table(run)), ""]


def across_corpora(run: Run) -> list[str]:
    table = fmt.markdown_table(tables.cross_corpus_table(run))
    return [
        "## Across corpora",
        "",
        "Test bits per character of every generator on every corpus.",
        "",
        table,
        "",
    ]


def report_markdown(
    run: Run,
    drawn: dict[str, dict[str, tuple[str, bool]]],
    folders: dict[str, str],
    earlier: Run | None = None,
    samples: dict[str, Any] | None = None,
) -> str:
    """The report: one set of sections for a one-corpus run; with several corpora, a summary table
    across them and a section per corpus. ``drawn`` and ``folders`` are keyed by corpus name;
    ``samples`` is the run's stored samples (samples.json.gz), for the test prompts shown."""
    several = len(run.views) > 1
    guide = how_to_read(run.views[0]) if run.views else []
    sections = [title(run)]
    if several:
        sections += [across_corpora(run), guide]
    for view in run.views:
        before = paired_view(earlier, view) if earlier is not None else None
        if several:
            sections.append([f"## {view.name}", ""])
        depth, shown_guide = ("###", []) if several else ("##", guide)
        sections += corpus_sections(view, drawn[view.name], folders[view.name], before, depth, shown_guide, samples)
    sections += [where_the_time_went(run), environment(run)]
    return "\n".join(line for section in sections for line in section).rstrip("\n") + "\n"


def paired_view(earlier: Run, view: CorpusRun) -> CorpusRun | None:
    """The earlier run's section for the same corpus; its only one when it had one corpus."""
    same = earlier.view(view.name)
    return same if same is not None else (earlier.views[0] if len(earlier.views) == 1 else None)
