"""The ``healing-guard`` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__, render
from .catalogue import Catalogue, load_catalogue
from .classify import Classifier
from .errors import HealingGuardError, LogInputError
from .logsource import expand
from .models import Diagnosis


def _report(kind: str, message: object) -> None:
    """The command line's one way to report a problem: ``healing-guard: error: …`` on standard error."""
    print(f"healing-guard: {kind}: {message}", file=sys.stderr)


def _catalogue(config: str | None) -> Catalogue:
    catalogue = load_catalogue()
    if config is None:
        return catalogue
    from .config import load_config

    loaded = load_config(Path(config), catalogue=catalogue)
    for warning in loaded.warnings:
        _report("warning", warning)
    return loaded.catalogue


def cmd_analyze(args: argparse.Namespace) -> int:
    classifier = Classifier(_catalogue(args.config))
    diagnoses: list[Diagnosis] = []
    failed = False
    for path in args.paths:
        try:
            sources = expand(path)
        except LogInputError as exc:
            _report("error", exc)
            failed = True
            continue
        for source in sources:  # one unreadable log in an archive does not hide the others
            try:
                diagnoses.append(classifier.diagnose(source))
            except LogInputError as exc:
                _report("error", exc)
                failed = True
    for d in diagnoses:
        for w in d.warnings:
            _report("warning", f"{d.source}: {w}")
    if diagnoses:
        if args.format == "json":
            # the shape follows the request: an array for several paths even when some failed
            print(render.to_json(diagnoses, array=len(args.paths) > 1))
        elif args.format == "markdown":
            sys.stdout.write(render.to_markdown(diagnoses))
        else:
            colour = render.use_colour(sys.stdout) if args.color == "auto" else args.color == "always"
            sys.stdout.write(render.to_text(diagnoses, colour=colour))
    return 1 if failed else 0


def cmd_strategies(args: argparse.Namespace) -> int:
    from .catalogue_doc import strategy_table

    catalogue = _catalogue(args.config)
    if args.format == "markdown":
        sys.stdout.write(strategy_table(catalogue))
    else:
        for s in catalogue.strategies:
            print(f"{s.id:40} {s.category:20} {s.risk.value:7} {s.remediation.action}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    return run_demo()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="healing-guard",
        description="Diagnose failed CI jobs and heal them through the GitHub API.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    analyze = sub.add_parser("analyze", help="diagnose CI logs", description="Diagnose one or more CI job logs.")
    analyze.add_argument(
        "paths", nargs="+", metavar="PATH", help="a job log, a .gz of one, a run-logs .zip, or '-' for stdin"
    )
    analyze.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    analyze.add_argument("--config", metavar="FILE", help="a healing-config.yml with strategy overrides")
    analyze.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    analyze.set_defaults(func=cmd_analyze)

    strategies = sub.add_parser("strategies", help="list the strategy catalogue")
    strategies.add_argument("--format", choices=("text", "markdown"), default="text")
    strategies.add_argument("--config", metavar="FILE")
    strategies.set_defaults(func=cmd_strategies)
    demo = sub.add_parser("demo", help="run the whole healing loop against a simulated GitHub on 127.0.0.1")
    demo.set_defaults(func=cmd_demo)
    from .history.commands import register as register_history

    register_history(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "config", None) and not Path(args.config).exists():
        # the Action treats a missing config as "defaults"; a file named on the command line must exist
        parser.error(f"--config {args.config}: no such file")
    try:
        code: int = args.func(args)
        return code
    except HealingGuardError as exc:
        _report("error", exc)
        return 2 if args.command == "strategies" else 1
    except BrokenPipeError:
        return 0
