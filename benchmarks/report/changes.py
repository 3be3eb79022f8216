"""The report's "Changes since the earlier run" (``report --compare``): the table's preamble and
what besides the generators differs between the two runs."""

from __future__ import annotations

from benchmarks.report import formatting as fmt
from benchmarks.report import provenance, tables
from benchmarks.report.data import CorpusRun


def comparison(earlier: CorpusRun, run: CorpusRun, depth: str = "##") -> list[str]:
    when = str(earlier.data.get("created") or "an unknown date")
    commit = earlier.section("environment").get("commit") or "unknown commit"
    frame = tables.comparison_table(run, earlier)
    body = fmt.markdown_table(frame) if len(frame) else "No generator is in both runs."
    return [
        f"{depth}# Changes since the earlier run",
        "",
        f"Earlier run: {when}, commit `{commit}`. Δ = this run − earlier run; Δ% is relative to the earlier value.",
        "",
        *not_like_for_like(earlier, run),
        body,
        "",
    ]


def not_like_for_like(earlier: CorpusRun, run: CorpusRun) -> list[str]:
    """A warning naming what differs between two runs besides the generators: corpus, settings,
    machine, libraries, lock or CPU, training work."""
    differences = []
    corpus, before = run.corpus.get("summary") or {}, earlier.corpus.get("summary") or {}
    if corpus.get("sha256") != before.get("sha256"):
        differences.append(f"the corpus ({before.get('name', '?')} then {corpus.get('name', '?')})")
    then_seeds, now_seeds = earlier.run.seeds, run.run.seeds
    if now_seeds != then_seeds:
        differences.append(
            f"the seeds ({', '.join(map(str, then_seeds))} then {', '.join(map(str, now_seeds))})"
        )
    for part in ("likelihood", "sweep", "throughput"):
        now, then = run.section("config", part), earlier.section("config", part)
        shared = now.keys() & then.keys()  # an older run may lack newer keys
        changed = sorted(key for key in shared if now[key] != then[key])
        if changed:
            differences.append(f"{part} settings ({', '.join(changed)})")
    then_env, now_env = earlier.section("environment"), run.section("environment")
    differences += provenance.machine_differences(then_env, now_env)
    differences += provenance.environment_differences(then_env, now_env)
    differences += training_differences(earlier, run)
    if not differences:
        return []
    return [f"**Not like for like:** the runs differ in {'; '.join(differences)}, so Δ mixes those in.", ""]


def training_differences(earlier: CorpusRun, run: CorpusRun) -> list[str]:
    """The generators whose training did a different amount of work (steps or characters)."""
    changed = []
    for name in [n for n in run.names if n in earlier.names]:
        for key, what in (("steps", "steps"), ("train_chars", "training characters")):
            new, old = run.value(name, "fit", key), earlier.value(name, "fit", key)
            if new is not None and old is not None and new != old:
                changed.append(f"{name}'s training work ({fmt.count(old)} then {fmt.count(new)} {what})")
                break
    return changed
