"""The ``healing-guard`` command line.

Commands: ``analyze`` (diagnose logs), ``validate`` (check a config as the action does),
``strategies`` (list the catalogue), ``completion`` (a shell completion script), ``demo``.

Exit status: 0 when everything asked for was done; 1 when an input could not be read (the others are
still reported) or a config file is invalid; 2 for a usage error (an unknown command, option or
``--format``, a missing argument). Every problem is one line on standard error,
``healing-guard: error: …`` (``healing-guard: warning: …`` for what does not stop the command).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import NoReturn

from . import __version__, render
from .catalogue import Catalogue, load_catalogue
from .classify import Classifier
from .errors import HealingGuardError
from .sanitize import clean

PROG = "healing-guard"
#: The distribution whose metadata holds the installed version (``pyproject.toml``'s ``name``).
DISTRIBUTION = "self-healing-pipeline-guard"
#: Where the action looks for its config file (its ``config-path`` input's default).
DEFAULT_CONFIG = ".github/healing-config.yml"

EXIT_OK = 0
EXIT_FAILED = 1  # an input could not be read, or a config file is invalid
EXIT_USAGE = 2  # argparse's own status for a usage error


def package_version() -> str:
    """The installed package's version; ``healing_guard.__version__`` when it is not installed."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return __version__


def _report(kind: str, message: object) -> None:
    """The command line's one way to report a problem: ``healing-guard: error: …`` on standard error.

    The message may quote a log or a config file: it is cleaned (no escapes, no workflow commands,
    no secrets) and each of its lines gets the prefix.
    """
    for line in clean(str(message)).splitlines() or [""]:
        print(f"healing-guard: {kind}: {line}", file=sys.stderr)


def _load(config: str | None) -> tuple[Catalogue, list[str]]:
    """The catalogue with ``config``'s changes, and the ids of the config's custom strategies."""
    catalogue = load_catalogue()
    if config is None:
        return catalogue, []
    from .config import load_config

    loaded = load_config(Path(config), catalogue=catalogue)
    for warning in loaded.warnings:
        _report("warning", warning)
    return loaded.catalogue, [s.id for s in loaded.config.custom_strategies]


def cmd_analyze(args: argparse.Namespace) -> int:
    from .batch import analyze_paths

    batch = analyze_paths(args.paths, Classifier(_load(args.config)[0]))
    for entry in batch.entries:
        if entry.error is not None:
            _report("error", entry.message)
    for d in batch.diagnoses:
        for w in d.warnings:
            _report("warning", f"{d.source}: {w}")
    if args.format == "json":
        from .render_json import batch_json

        # every input has its place (an error object for one that could not be read)
        print(batch_json(batch))
    elif batch.diagnoses:
        if args.format == "markdown":
            sys.stdout.write(render.to_markdown(batch.diagnoses))
        else:
            colour = render.use_colour(sys.stdout) if args.color == "auto" else args.color == "always"
            sys.stdout.write(render.to_text(batch.diagnoses, colour=colour))
    return EXIT_FAILED if batch.failed else EXIT_OK


def cmd_strategies(args: argparse.Namespace) -> int:
    from . import strategy_list
    from .catalogue_doc import strategy_table

    catalogue, custom = _load(args.config)
    if args.format == "markdown":
        sys.stdout.write(strategy_table(catalogue))
    elif args.format == "json":
        print(strategy_list.to_json(strategy_list.rows(catalogue, custom)))
    else:
        sys.stdout.write(strategy_list.to_text(strategy_list.rows(catalogue, custom)))
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    from .config import ConfigInvalidError
    from .config_check import check_config, located

    path = Path(args.config or DEFAULT_CONFIG)
    check = check_config(path)
    if not check.found:
        if args.config is not None:
            _report("error", f"{path}: no such file")
            return EXIT_FAILED
        print(f"{path}: no config file; the action runs with the built-in defaults")
        return EXIT_OK
    for warning in check.warnings:
        _report("warning", warning)
    if check.error is not None:
        _report("error", located(check.error))
        count = len(check.error.problems) if isinstance(check.error, ConfigInvalidError) else 1
        print(f"{path}: invalid ({count} problem{'s' * (count != 1)}); the action would fail the step and do nothing")
        return EXIT_FAILED
    warnings = len(check.warnings)
    print(f"{path}: valid")
    print(f"  custom strategies:  {_counted(check.custom_strategies)}")
    print(f"  strategy overrides: {_counted(check.overrides)}")
    print(f"  warnings:           {warnings}{' (on standard error)' if warnings else ''}")
    return EXIT_OK


def _counted(ids: list[str]) -> str:
    return f"{len(ids)} ({', '.join(ids)})" if ids else "0"


def cmd_completion(args: argparse.Namespace) -> int:
    from .completion import script

    sys.stdout.write(script(args.shell, build_parser()))
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    return run_demo()


class _Parser(argparse.ArgumentParser):
    """argparse with one prefix for every usage error, a subcommand's too: ``healing-guard: error: …``."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{PROG}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    from .completion import SHELLS

    parser = _Parser(
        prog=PROG,
        description="Diagnose failed CI jobs and heal them through the GitHub API.",
        epilog="exit status: 0 ok, 1 an input could not be read or a config is invalid, 2 usage error",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {package_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    analyze = sub.add_parser("analyze", help="diagnose CI logs", description="Diagnose one or more CI job logs.")
    analyze.add_argument(
        "paths", nargs="+", metavar="PATH", help="a job log, a .gz of one, a run-logs .zip, or '-' for stdin"
    )
    analyze.add_argument(
        "--format",
        choices=("text", "json", "markdown"),
        default="text",
        help="json: one object for one log, an array (one object per log, in order) for several",
    )
    analyze.add_argument("--config", metavar="FILE", help="a healing-config.yml with strategy overrides")
    analyze.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    analyze.set_defaults(func=cmd_analyze)

    validate = sub.add_parser(
        "validate",
        help="check a healing-config.yml as the action would",
        description="Check a config file and its custom strategies with the action's own checks and messages.",
    )
    validate.add_argument("--config", metavar="FILE", help=f"the file to check (default: {DEFAULT_CONFIG})")
    validate.set_defaults(func=cmd_validate)

    strategies = sub.add_parser("strategies", help="list the strategy catalogue")
    strategies.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    strategies.add_argument("--config", metavar="FILE", help="include the custom strategies and changes of this file")
    strategies.set_defaults(func=cmd_strategies)

    completion = sub.add_parser("completion", help="print a shell completion script")
    completion.add_argument("shell", choices=SHELLS)
    completion.set_defaults(func=cmd_completion)

    demo = sub.add_parser("demo", help="run the whole healing loop against a simulated GitHub on 127.0.0.1")
    demo.set_defaults(func=cmd_demo)
    from .history.commands import register as register_history

    register_history(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command != "validate" and getattr(args, "config", None) and not Path(args.config).exists():
        # the Action treats a missing config as "defaults"; a file named on the command line must exist
        parser.error(f"--config {args.config}: no such file")
    try:
        code: int = args.func(args)
        return code
    except HealingGuardError as exc:
        _report("error", exc)
        return EXIT_FAILED
    except BrokenPipeError:
        return EXIT_OK
