"""``pimsim`` entry point: subcommands, and bad input as one line with exit code 2."""

from __future__ import annotations

import argparse
import sys

from pimsim import __version__
from pimsim.errors import PimsimError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, like every other input error
        print(f"pimsim: error: {message} (see pimsim --help)", file=sys.stderr)
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    from pimsim.cli import (baseline_cmd, check_cmd, compare_cmd, plot_cmd, reproduce_cmd, run_cmd, sweep_cmd,
                            trace_cmd)

    parser = _Parser(prog="pimsim", description="Cycle-accurate PIM-GPT and DRAM simulator.")
    parser.add_argument("--version", action="version", version=f"pimsim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for module in (run_cmd, compare_cmd, sweep_cmd, reproduce_cmd, plot_cmd, baseline_cmd, trace_cmd, check_cmd):
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error already printed
        return int(exc.code or 0)
    try:
        return int(args.func(args) or 0)
    except PimsimError as exc:
        print(f"pimsim: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("pimsim: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into head & co.
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
