"""The textgen-bench command: run, report, list, corpora.

User errors (a bad config, a missing, empty, binary or too small corpus, an unknown generator, a
folder in use) print one line and exit with status 2, within a second: settings, names and corpus
contents are checked before torch is imported. An interrupted run says what it kept and exits
with status 130. A run in which a cell or a judge failed still writes its report, then exits with
status 3 (1 is left to crashes of the tool itself). The codes are in :mod:`benchmarks.run.layout`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks.console import log, one_line
from benchmarks.run.layout import EXIT_INTERRUPTED, EXIT_UNFINISHED, EXIT_USAGE
from generators.errors import ConfigError, TextgenBenchError

if TYPE_CHECKING:
    from benchmarks.run.executors import Executor
    from benchmarks.run.settings import RunConfig


def settings_from_flags(args: argparse.Namespace) -> dict:
    """The [run] fields the command-line flags set, as values (never as TOML text)."""
    generators = None
    if args.generators is not None:
        generators = tuple(name.strip() for name in args.generators.split(",") if name.strip())
    if args.seeds is not None and args.seeds < 1:
        raise ConfigError(f"--seeds must be >= 1, got {args.seeds}")
    return {
        "generators": generators,
        "corpora": tuple(args.corpus) if args.corpus else None,
        "seeds": tuple(range(args.seeds)) if args.seeds is not None else None,
        "device": args.device,
    }


def command_run(args: argparse.Namespace) -> int:
    from benchmarks.run.plan import check_config
    from benchmarks.run.settings import load_config, with_run_settings

    config, path = load_config(args.config, args.set)
    config = with_run_settings(config, **settings_from_flags(args))
    check_engine_flags(args)
    check_config(config)  # every name and option, before torch is imported
    from benchmarks.corpora import load_corpus

    # an empty, binary or too small corpus fails here, before torch (or scipy) is imported
    corpora = {name: load_corpus(name) for name in config.run.corpus_names}
    from benchmarks.run.harness import check_run_folder, default_run_dir

    run_dir = Path(args.out) if args.out else default_run_dir(config)
    check_run_folder(run_dir, args.fresh)
    executor = make_executor(args, config)

    from benchmarks.run.harness import kept_summary, run_benchmark, unfinished_parts
    from benchmarks.run.plan import build_plan

    device = executor.resolve_device(config.run.device)  # a GPU that cannot be had fails here
    plan = build_plan(config, corpora, device=device, config_file=str(path))
    try:
        run_benchmark(
            plan, corpora, run_dir=run_dir, executor=executor, fresh=args.fresh, retrain=args.retrain
        )
    except KeyboardInterrupt:
        log(f"interrupted; kept in {run_dir}: {kept_summary(run_dir)}. Run the same command again to resume.")
        return EXIT_INTERRUPTED
    for name in ("report.md", "report.html"):
        print(f"report: {run_dir / name}")
    unfinished = unfinished_parts(run_dir)
    if unfinished:
        log(f"not finished: {', '.join(unfinished)}; the report says why")
        return EXIT_UNFINISHED
    return 0


def check_engine_flags(args: argparse.Namespace) -> None:
    """--jobs belongs to the local engine, --address to Ray."""
    if args.engine == "ray" and args.jobs is not None:
        raise ConfigError(
            "--jobs is for --engine local; on Ray each cell asks for run.cpus_per_cell CPUs and the "
            "cluster runs as many at once as it holds"
        )
    if args.engine == "local" and args.address is not None:
        raise ConfigError("--address is for --engine ray")
    if args.jobs is not None and args.jobs < 1:
        raise ConfigError(f"--jobs must be >= 1, got {args.jobs}")


def make_executor(args: argparse.Namespace, config: RunConfig) -> Executor:
    """The local executor (--jobs), or Ray's (--engine ray: a one-line error when Ray is missing)."""
    if args.engine == "local":
        from benchmarks.run.executors import LocalExecutor

        return LocalExecutor(args.jobs or 1, log=log)
    try:
        from benchmarks.run.ray_executor import RayExecutor
    except ModuleNotFoundError as error:
        if error.name != "ray" and not (error.name or "").startswith("ray."):
            raise
        raise ConfigError(
            "--engine ray needs Ray, which is not installed: pip install 'textgen-bench[ray]'"
        ) from error
    run = config.run
    return RayExecutor(
        args.address,
        cpus_per_cell=run.cpus_per_cell,
        max_retries=run.max_retries,
        return_models=run.return_models,
        log=log,
    )


REPORT_FORMATS = {"md": ("md",), "html": ("html",), "both": ("md", "html")}


def command_report(args: argparse.Namespace) -> int:
    from benchmarks.report import REPORT_FILES, render_report

    run_dir = Path(args.run_dir)
    if not (run_dir / "results.json").exists():
        raise TextgenBenchError(
            f"no results.json in {run_dir}: pass a run folder written by 'textgen-bench run'"
        )
    compare = Path(args.compare) if args.compare else None
    if compare is not None and not (compare / "results.json").exists() and compare.suffix != ".json":
        raise TextgenBenchError(f"--compare: no results.json in {compare}")
    formats = REPORT_FORMATS[args.format]
    render_report(run_dir, compare=compare, formats=formats, warn=lambda line: log(f"warning: {line}"))
    for format_ in formats:
        print(f"report: {run_dir / REPORT_FILES[format_]}")
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


def add_run_command(commands: argparse._SubParsersAction) -> None:
    run = commands.add_parser("run", help="train, score, sample and report every configured generator")
    run.add_argument(
        "--config",
        default="quick",
        help="a TOML file or a profile name (quick, full, scaling); default quick",
    )
    run.add_argument("--generators", help="comma-separated generator or variant names (sets run.generators)")
    run.add_argument(
        "--corpus",
        action="append",
        metavar="NAME",
        help="a corpus (sets run.corpora; repeat it for several), e.g. tinyshakespeare or file:PATH",
    )
    run.add_argument(
        "--seeds", type=int, metavar="N", help="train every generator with seeds 0..N-1 (sets run.seeds)"
    )
    run.add_argument("--device", help="auto, cpu, cuda or cuda:N (sets run.device)")
    run.add_argument(
        "--set", action="append", metavar="KEY=VALUE", help="override a config value, repeatable"
    )
    run.add_argument(
        "--engine",
        choices=("local", "ray"),
        default="local",
        help="where cells run: worker processes on this machine (local, the default), or Ray tasks",
    )
    run.add_argument(
        "--jobs", type=int, metavar="N", help="--engine local: cells run at once on this machine (default 1)"
    )
    run.add_argument(
        "--address",
        metavar="ADDR",
        help="--engine ray: the Ray cluster to join, e.g. 10.0.0.5:6379 (default: $RAY_ADDRESS, else a "
        "local Ray instance started for this run)",
    )
    run.add_argument("--out", help="run folder (default: reports/runs/<profile>-<corpus>-<config hash>)")
    run.add_argument(
        "--fresh", action="store_true", help="discard finished pieces of this run and start over"
    )
    run.add_argument("--retrain", action="store_true", help="train again even when a cached model exists")
    run.set_defaults(handler=command_run)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="textgen-bench", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    add_run_command(commands)
    report = commands.add_parser("report", help="re-render a run's report from its results.json")
    report.add_argument("run_dir")
    report.add_argument("--compare", help="an earlier run folder: adds a column of differences")
    report.add_argument(
        "--format",
        choices=tuple(REPORT_FORMATS),
        default="both",
        help="report.md, report.html (one self-contained page with a sample browser) or both (default)",
    )
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
        print(f"textgen-bench: error: {one_line(str(error))}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("textgen-bench: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
