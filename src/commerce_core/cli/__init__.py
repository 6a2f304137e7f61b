"""Command line: ``python -m commerce_core demo | report ...``.

The CLI sits at the top layer with :mod:`commerce_core.testing`: it wires the in-memory adapters
to the services, as a host application would.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence

__all__ = ["main"]


def _demo(args: argparse.Namespace) -> int:
    from commerce_core.cli.demo import run_demo

    return run_demo(seed=args.seed)


# region cli-handlers
# endregion cli-handlers


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m commerce_core", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="run the end-to-end demo")
    demo.add_argument("--seed", type=int, default=7, help="seed of the simulated shop")
    demo.set_defaults(handler=_demo)
    # region cli-commands
    # endregion cli-commands
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    args = _parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    return handler(args)
