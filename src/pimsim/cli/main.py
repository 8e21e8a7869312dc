"""``pimsim`` entry point: subcommands, and bad input as one line with exit code 2."""

from __future__ import annotations

import argparse
import importlib
import sys
import warnings

from pimsim import __version__
from pimsim.cli import COMMANDS
from pimsim.errors import PimsimError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, like every other input error
        print(f"pimsim: error: {message} (see pimsim --help)", file=sys.stderr)
        raise SystemExit(2)


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser; only the command named in ``argv`` (None: every command) gets its module imported
    and its full arguments, the others a placeholder that shows in ``pimsim --help``."""
    parser = _Parser(prog="pimsim", description="Cycle-accurate PIM-GPT and DRAM simulator.")
    parser.add_argument("--version", action="version", version=f"pimsim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser, help="the command to run")
    chosen = next((a for a in argv if not a.startswith("-")), None) if argv is not None else None
    for name, (module, help_text) in COMMANDS.items():
        if argv is None or name == chosen:
            importlib.import_module(module).register(sub)
        else:
            sub.add_parser(name, help=help_text)
    return parser


def _one_line_warning(message, category, filename, lineno, line=None) -> str:
    return f"pimsim: warning: {message}\n"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    warnings.formatwarning = _one_line_warning
    parser = build_parser(argv)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error already printed
        return int(exc.code or 0)
    try:
        return int(args.func(args) or 0)
    except PimsimError as exc:
        print(f"pimsim: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt as exc:  # a command may say what was kept and how to go on
        print(f"pimsim: interrupted{f'; {exc}' if str(exc) else ''}", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into head & co.
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
