"""Command line: ``python -m commerce_core demo | report ...``.

The CLI sits at the top layer with :mod:`commerce_core.testing`: it wires the in-memory adapters
to the services, as a host application would.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence

__all__ = ["main"]


def _demo(args: argparse.Namespace) -> int:
    from pathlib import Path

    from commerce_core.cli.demo import run_demo

    html = None if args.no_html else Path(args.html)
    return run_demo(seed=args.seed, sessions=args.sessions, html=html)


# region cli-handlers
def _report(args: argparse.Namespace) -> int:
    """``report EVENTS.jsonl``: the sales dashboard of an events file (see docs: Analytics)."""
    import json
    import sys
    from pathlib import Path

    import attrs

    from commerce_core.domain.analytics import ReportOptions, TimeRange, resolve_zone
    from commerce_core.errors import CommerceError, InvalidSpendError
    from commerce_core.services.analytics import aggregate_lines, parse_spend

    try:
        zone = resolve_zone(args.tz)
        period = TimeRange.parse(args.start, args.end, zone)
        raw_spend = None
        if args.spend:
            raw_spend = json.loads(Path(args.spend).read_text(encoding="utf-8"))
        options = ReportOptions(period=period, top=args.top)
        with Path(args.events).open(encoding="utf-8") as lines:
            report = aggregate_lines(
                lines,
                options,
                zone=zone,
                bucket=args.bucket,
                currency=args.currency,
                strict=args.strict,
            )
        if raw_spend is not None:
            # Spend is in the report currency: --currency, else the events' own currency.
            currency = args.currency or report.current.currency
            if currency is None:
                raise InvalidSpendError("", "the events carry no money: pass --currency")
            options = attrs.evolve(options, spend=parse_spend(raw_spend, currency))
        dashboard = attrs.evolve(
            report.current.dashboard(options, previous=report.previous, problems=report.problems),
            skipped_lines=report.skipped,
        )
    except (CommerceError, OSError, json.JSONDecodeError) as error:
        print(f"report: {error}", file=sys.stderr)
        return 2
    for problem in dashboard.problems:
        print(f"report: skipped {problem}", file=sys.stderr)
    for channel in dashboard.unknown_spend_channels:
        print(f"report: spend given for unknown channel {channel!r}", file=sys.stderr)
    print(dashboard.to_json() if args.json else dashboard.render_text(), end="")
    if args.html:
        Path(args.html).write_text(dashboard.render_html(), encoding="utf-8")
        print(f"\nHTML dashboard written to {args.html}")
    return 0


# endregion cli-handlers


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m commerce_core", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="run the end-to-end demo")
    demo.add_argument("--seed", type=int, default=7, help="seed of the simulated shop")
    demo.add_argument("--sessions", type=int, default=400, help="shopper visits to simulate")
    demo.add_argument(
        "--html", default="demo-dashboard.html", help="where to write the HTML dashboard"
    )
    demo.add_argument("--no-html", action="store_true", help="print the dashboard only")
    demo.set_defaults(handler=_demo)
    # region cli-commands
    report = commands.add_parser(
        "report", help="sales dashboard of an analytics events file (JSON lines)"
    )
    report.add_argument("events", help="the events file (one JSON event per line)")
    report.add_argument("--from", dest="start", help="period start (ISO date/time, inclusive)")
    report.add_argument("--to", dest="end", help="period end (ISO date/time, exclusive)")
    report.add_argument("--tz", default="UTC", help="IANA time zone of dates and buckets")
    report.add_argument(
        "--bucket", default="day", choices=["hour", "day", "week", "month"], help="series bucket"
    )
    report.add_argument("--html", help="also write a self-contained HTML dashboard here")
    report.add_argument("--json", action="store_true", help="print JSON instead of text")
    report.add_argument("--strict", action="store_true", help="fail on the first bad line")
    report.add_argument(
        "--spend",
        help='JSON file of spend per channel: {"ads": "1200.00"} (in the report currency)',
    )
    report.add_argument("--currency", help="report currency (default: the events')")
    report.add_argument("--top", type=int, default=10, help="products/customers listed")
    report.set_defaults(handler=_report)
    # endregion cli-commands
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    args = _parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    return handler(args)
