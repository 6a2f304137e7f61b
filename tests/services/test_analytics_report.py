from __future__ import annotations

import json
import random
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from commerce_core import (
    CurrencyMismatchError,
    InvalidSpendError,
    MalformedEventLineError,
    money,
)
from commerce_core.adapters.memory import AggregatingAnalyticsSink
from commerce_core.cli import main
from commerce_core.domain.analytics import (
    AnalyticsAggregator,
    OrderedItem,
    OrderPlaced,
    ReportOptions,
    SessionStarted,
    TimeRange,
    to_json,
)
from commerce_core.services.analytics import aggregate_lines, build_dashboard, parse_spend
from commerce_core.testing.analytics import generate_events, write_jsonl


def order(at: datetime, currency: str = "EUR", order_id: str = "o1") -> OrderPlaced:
    return OrderPlaced(
        occurred_at=at,
        session_id="s",
        channel="ads",
        customer_id="c",
        order_id=order_id,
        items=[OrderedItem("A", 1, money("10", currency))],
        shipping=money("0", currency),
        tax=money("2", currency),
        total=money("12", currency),
    )


def test_a_batch_report_skips_bad_lines_and_counts_them() -> None:
    lines = [
        to_json(order(datetime(2026, 3, 1, tzinfo=UTC))),
        "{broken",
        to_json(order(datetime(2026, 3, 2, tzinfo=UTC), currency="USD", order_id="o2")),
        to_json(order(datetime(2026, 3, 3, tzinfo=UTC), order_id="o3")),
    ]
    dashboard = build_dashboard(lines)
    assert dashboard.kpis.orders == 2  # lines 1 and 4; line 3 is in another currency
    assert [p.line_number for p in dashboard.problems] == [2, 3]
    assert "currency mismatch" in dashboard.problems[1].reason
    assert dashboard.skipped_lines == 2
    with pytest.raises(MalformedEventLineError) as error:
        build_dashboard(lines, strict=True)
    assert error.value.line_number == 2


def test_events_outside_the_period_go_to_the_previous_period_or_nowhere() -> None:
    lines = [
        to_json(order(datetime(2026, 2, 10, tzinfo=UTC), order_id="feb")),
        to_json(order(datetime(2026, 3, 10, tzinfo=UTC), order_id="mar1")),
        to_json(order(datetime(2026, 3, 20, tzinfo=UTC), order_id="mar2")),
        to_json(order(datetime(2025, 6, 1, tzinfo=UTC), order_id="old")),
    ]
    options = ReportOptions(period=TimeRange.parse("2026-03-01", "2026-03-29"))
    report = aggregate_lines(lines, options)
    assert report.current.kpis().orders == 2
    assert report.previous is not None
    assert report.previous.kpis().orders == 1  # 02-01 .. 03-01 holds "feb"
    assert report.outside == 1
    assert build_dashboard(lines, options).changes()["orders"] == 1  # (2 - 1) / 1


def test_spend_is_read_from_exact_strings_only() -> None:
    assert parse_spend({"ads": "12.50", "email": {"amount": "3", "currency": "EUR"}}, "EUR") == {
        "ads": money("12.50", "EUR"),
        "email": money("3", "EUR"),
    }
    for bad in ({"ads": 12.5}, {"ads": "-1"}, {"ads": "lots"}, ["ads"]):
        with pytest.raises(InvalidSpendError):
            parse_spend(bad, "EUR")


def test_spend_in_another_currency_is_refused() -> None:
    aggregator = AnalyticsAggregator().extend([order(datetime(2026, 3, 1, tzinfo=UTC))])
    with pytest.raises(CurrencyMismatchError):
        aggregator.channels({"ads": money("5", "USD")})


def test_merging_aggregates_of_different_zones_or_currencies_is_refused() -> None:
    eur = AnalyticsAggregator().extend([order(datetime(2026, 3, 1, tzinfo=UTC))])
    usd = AnalyticsAggregator().extend([order(datetime(2026, 3, 1, tzinfo=UTC), "USD")])
    with pytest.raises(CurrencyMismatchError):
        eur.merge(usd)
    with pytest.raises(ValueError, match="zones or buckets"):
        eur.merge(AnalyticsAggregator("Europe/Paris"))
    with pytest.raises(CurrencyMismatchError):
        eur.add(order(datetime(2026, 3, 1, tzinfo=UTC), "USD"))
    assert eur.kpis().orders == 1  # the refused event changed nothing


def test_the_live_sink_aggregates_concurrent_writers_exactly() -> None:
    sink = AggregatingAnalyticsSink()
    streams = [list(generate_events(random.Random(seed), sessions=60)) for seed in range(4)]

    def writer(events: list[object]) -> None:
        for event in events:
            sink.record(event)  # type: ignore[arg-type]

    threads = [threading.Thread(target=writer, args=(s,)) for s in streams]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    expected = AnalyticsAggregator()
    for events in streams:
        expected.extend(events)
    assert sink.dashboard().to_dict() == expected.dashboard().to_dict()
    assert sink.aggregate().dashboard().to_dict() == expected.dashboard().to_dict()


@pytest.fixture
def events_file(tmp_path: Path) -> Path:
    path = tmp_path / "events.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        write_jsonl(generate_events(random.Random(4), sessions=400), handle)
        handle.write("not json\n")
    return path


def test_report_command_prints_text_writes_html_and_reports_problems(
    events_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spend = tmp_path / "spend.json"
    spend.write_text(json.dumps({"ads": "250.00", "billboards": "99.00"}), encoding="utf-8")
    html = tmp_path / "dashboard.html"
    args = ["report", str(events_file), "--from", "2026-01-01", "--to", "2026-01-02"]
    code = main([*args, "--tz", "Europe/Paris", "--spend", str(spend), "--html", str(html)])
    out, err = capsys.readouterr()
    assert code == 0
    assert "Sales dashboard" in out
    assert "Funnel" in out
    lines = events_file.read_text(encoding="utf-8").count("\n")
    assert f"skipped line {lines}: invalid JSON" in err
    assert "unknown channel 'billboards'" in err
    page = html.read_text(encoding="utf-8")
    assert page.count("<svg") >= 4  # revenue over time, funnel, products, channels
    assert "<script" not in page
    assert "src=" not in page
    assert "href=" not in page


def test_report_command_json_output_and_strict_mode(
    events_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", str(events_file), "--json", "--bucket", "hour"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["bucket"] == "hour"
    assert data["skipped_lines"] == 1
    assert main(["report", str(events_file), "--strict"]) == 2
    assert "invalid JSON" in capsys.readouterr().err


def test_report_command_rejects_a_bad_zone(
    events_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", str(events_file), "--tz", "Nowhere/Land"]) == 2
    assert "unknown time zone" in capsys.readouterr().err


def test_report_spend_is_read_in_the_events_currency_when_none_is_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events = tmp_path / "usd.jsonl"
    visit = {"session_id": "s1", "channel": "ads", "customer_id": None}
    at = datetime(2026, 3, 2, 10, tzinfo=UTC)
    usd = [
        SessionStarted(occurred_at=at, **visit),  # type: ignore[arg-type]
        OrderPlaced(
            occurred_at=at,
            order_id="o1",
            cart_id=None,
            items=[OrderedItem("MUG", 1, money("10.00", "USD"))],
            discounts=[],
            shipping=money("0.00", "USD"),
            tax=money("0.00", "USD"),
            total=money("10.00", "USD"),
            **visit,  # type: ignore[arg-type]
        ),
    ]
    events.write_text("".join(to_json(e) + "\n" for e in usd), encoding="utf-8")
    spend = tmp_path / "spend.json"
    spend.write_text(json.dumps({"ads": "5.00"}), encoding="utf-8")
    assert main(["report", str(events), "--spend", str(spend), "--json"]) == 0
    out, err = capsys.readouterr()
    (ads,) = json.loads(out)["channels"]
    assert ads["spend"] == {"amount": "5.00", "currency": "USD"}
    assert err == ""
