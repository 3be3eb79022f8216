"""The textgen-bench command: run, report, list, corpora.

User errors (a bad config, a missing corpus, an unknown generator) print one line and exit with
status 2; an interrupted run says what it kept and exits with status 130. A run in which a
generator or the judge failed still writes its report, then exits with status 3 (1 is left to
crashes of the tool itself).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from generators.errors import TextgenBenchError

EXIT_USAGE = 2
EXIT_UNFINISHED = 3
EXIT_INTERRUPTED = 130


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def command_run(args: argparse.Namespace) -> int:
    from benchmarks.harness import kept_summary, run_benchmark
    from benchmarks.settings import load_config

    overrides = list(args.set or [])
    if args.generators is not None:
        names = [n.strip() for n in args.generators.split(",") if n.strip()]
        overrides.append(f"run.generators={names!r}".replace("'", '"'))
    if args.corpus is not None:
        overrides.append(f'run.corpus="{args.corpus}"')
    if args.device is not None:
        overrides.append(f'run.device="{args.device}"')
    config, path = load_config(args.config, overrides)
    run_dir = Path(args.out) if args.out else None
    try:
        run_dir = run_benchmark(
            config, run_dir=run_dir, config_path=str(path), fresh=args.fresh, retrain=args.retrain, log=log
        )
    except KeyboardInterrupt:
        from benchmarks.harness import default_run_dir

        where = run_dir or default_run_dir(config)
        log(f"interrupted; kept in {where}: {kept_summary(where)}. Run the same command again to resume.")
        return EXIT_INTERRUPTED
    print(f"report: {run_dir / 'report.md'}")
    unfinished = unfinished_parts(run_dir)
    if unfinished:
        log(f"not finished: {', '.join(unfinished)}; the report says why")
        return EXIT_UNFINISHED
    return 0


def unfinished_parts(run_dir: Path) -> list[str]:
    """The generators (and the judge) of a written run that did not finish, with their status."""
    results = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    parts = [f"{name} ({e['status']})" for name, e in results["generators"].items() if e["status"] != "ok"]
    return parts + (["the judge (failed)"] if results.get("judge_error") else [])


def command_report(args: argparse.Namespace) -> int:
    from benchmarks.report import render_report

    run_dir = Path(args.run_dir)
    if not (run_dir / "results.json").exists():
        raise TextgenBenchError(
            f"no results.json in {run_dir}: pass a run folder written by 'textgen-bench run'"
        )
    compare = Path(args.compare) if args.compare else None
    if compare is not None and not (compare / "results.json").exists() and compare.suffix != ".json":
        raise TextgenBenchError(f"--compare: no results.json in {compare}")
    print(f"report: {render_report(run_dir, compare=compare)}")
    return 0


def command_list(args: argparse.Namespace) -> int:
    from generators.registry import available_generators, hidden_plugins

    entries = available_generators()
    width = max((len(n) for n in entries), default=4)
    source_width = max((len(e.source) for e in entries.values()), default=8)
    for name, entry in entries.items():
        print(f"{name:<{width}}  {entry.source:<{source_width}}  {entry.target}")
    for entry in hidden_plugins():
        log(
            f"hidden: {entry.name} of {entry.source} ({entry.target}): the name is taken; rename its entry point"
        )
    return 0


def command_corpora(args: argparse.Namespace) -> int:
    from benchmarks.corpora import available_corpora, data_directory, hidden_plugins

    for name, description in available_corpora().items():
        print(f"{name:<18}  {description}")
    for entry, why in hidden_plugins():
        log(f"hidden: {entry.name} of {entry.source} ({entry.target}): {why}")
    print(f"\ndata directory: {data_directory()}  (set TEXTGEN_BENCH_DATA to change it)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="textgen-bench", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="train, score, sample and report every configured generator")
    run.add_argument(
        "--config", default="quick", help="a TOML file or a profile name (quick, full); default quick"
    )
    run.add_argument("--generators", help="comma-separated generator names (overrides run.generators)")
    run.add_argument("--corpus", help="corpus name (overrides run.corpus), e.g. tinyshakespeare or file:PATH")
    run.add_argument("--device", help="auto, cpu, cuda or cuda:N (overrides run.device)")
    run.add_argument(
        "--set", action="append", metavar="KEY=VALUE", help="override a config value, repeatable"
    )
    run.add_argument("--out", help="run folder (default: reports/runs/<profile>-<corpus>-<config hash>)")
    run.add_argument(
        "--fresh", action="store_true", help="discard finished pieces of this run and start over"
    )
    run.add_argument("--retrain", action="store_true", help="train again even when a cached model exists")
    run.set_defaults(handler=command_run)
    report = commands.add_parser("report", help="re-render a run's report from its results.json")
    report.add_argument("run_dir")
    report.add_argument("--compare", help="an earlier run folder: adds a column of differences")
    report.set_defaults(handler=command_report)
    commands.add_parser("list", help="list generators and where they come from").set_defaults(
        handler=command_list
    )
    commands.add_parser("corpora", help="list corpora").set_defaults(handler=command_corpora)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except TextgenBenchError as error:
        print(f"textgen-bench: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("textgen-bench: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
