"""Plain-text and self-contained HTML renderings of a :class:`Dashboard` (pure functions).

The HTML page has inline CSS and inline SVG charts only: no scripts, no fonts, no network.
Pixel geometry uses floats; money and rates are printed from their exact values.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from html import escape
from typing import TYPE_CHECKING

from moneyed import Money

from commerce_core.domain.analytics.metrics import Kpis, rate_text
from commerce_core.money import to_minor

if TYPE_CHECKING:
    from commerce_core.domain.analytics.dashboard import Dashboard

__all__ = ["text", "html", "percent"]


def percent(value: Fraction | None) -> str:
    """A rate as a percentage with one decimal (``"12.5%"``); ``"n/a"`` for ``None``.

    >>> percent(Fraction(1, 8))
    '12.5%'
    """
    if value is None:
        return "n/a"
    return f"{rate_text(value * 100, 1)}%"


def _m(value: Money | None) -> str:
    if value is None:
        return "n/a"
    return f"{value.amount} {value.currency.code}"


def _change(dashboard: Dashboard, name: str) -> str:
    change = dashboard.changes().get(name)
    if dashboard.previous is None:
        return ""
    if change is None:
        return " (prev 0)"
    sign = "+" if change >= 0 else ""
    return f" ({sign}{percent(change)} vs prev)"


def _kpi_lines(dashboard: Dashboard) -> list[tuple[str, str]]:
    k: Kpis = dashboard.kpis
    r = k.revenue
    c = _change
    d = dashboard
    return [
        ("Gross sales (excl. tax & shipping)", _m(r.gross_sales) + c(d, "gross_sales")),
        ("Discounts", _m(r.discounts)),
        ("Refunds (merchandise)", _m(r.refunds)),
        ("Net sales (excl. tax & shipping)", _m(r.net_sales) + c(d, "net_sales")),
        ("Shipping (net of refunds)", _m(r.shipping)),
        ("Tax (net of refunds)", _m(r.tax)),
        ("Total sales (incl. tax & shipping)", _m(r.total_sales) + c(d, "total_sales")),
        ("Orders", f"{k.orders}{c(d, 'orders')}"),
        ("Units", f"{k.units}{c(d, 'units')}"),
        ("Average order value", _m(k.average_order_value) + c(d, "average_order_value")),
        ("Sessions", f"{k.sessions}{c(d, 'sessions')}"),
        ("Conversion (orders / sessions)", percent(k.order_conversion)),
        ("Conversion (purchasing sessions)", percent(k.session_conversion)),
        (
            "Cart abandonment",
            (
                f"{percent(k.cart_abandonment.rate)} ({k.cart_abandonment.abandoned} of "
                f"{k.cart_abandonment.started}, {k.cart_abandonment.pending} pending)"
            ),
        ),
        (
            "Checkout abandonment",
            (
                f"{percent(k.checkout_abandonment.rate)} ({k.checkout_abandonment.abandoned} of "
                f"{k.checkout_abandonment.started})"
            ),
        ),
        ("Customers", str(k.customers)),
        ("Repeat purchase rate", percent(k.repeat_purchase_rate)),
        ("Churn rate", f"{percent(k.churn_rate)} ({k.churned_customers} customers)"),
        ("Average historic CLV", _m(k.average_clv)),
        ("Predictive CLV", _m(k.predictive_clv)),
        ("Cancelled orders / refunds", f"{k.cancelled_orders} / {k.refunds}"),
        ("Failed payments", str(k.failed_payments)),
    ]


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
    fmt = "  ".join(f"{{:<{w}}}" if i == 0 else f"{{:>{w}}}" for i, w in enumerate(widths))
    return ["  " + fmt.format(*headers), *("  " + fmt.format(*row) for row in rows)]


def _period(dashboard: Dashboard) -> str:
    p = dashboard.period
    if p.start and p.end:
        span = f"{p.start.isoformat()} .. {p.end.isoformat()}"
    elif p.start:
        span = f"since {p.start.isoformat()}"
    elif p.end:
        span = f"until {p.end.isoformat()}"
    else:
        span = "all events"
    return f"{span} ({dashboard.zone}, by {dashboard.bucket.value})"


def text(dashboard: Dashboard) -> str:
    """The dashboard as plain text for a terminal."""
    d = dashboard
    out = [f"Sales dashboard  {_period(d)}", f"{d.events} events, currency {d.currency}", ""]
    width = max(len(label) for label, _ in _kpi_lines(d))
    out += [f"  {label:<{width}}  {value}" for label, value in _kpi_lines(d)]
    out += ["", "Funnel"]
    out += _table(
        ("step", "sessions", "step conv.", "overall"),
        [
            (s.name, str(s.sessions), percent(s.step_conversion), percent(s.overall_conversion))
            for s in d.funnel
        ],
    )
    out += ["", "Top products"]
    out += _table(
        ("sku", "revenue", "units", "views", "view->purchase"),
        [
            (p.sku, _m(p.revenue), str(p.units), str(p.views), percent(p.view_to_purchase))
            for p in d.products
        ],
    )
    out += ["", "Channels"]
    out += _table(
        ("channel", "sessions", "orders", "net sales", "new cust.", "spend", "CAC", "ROAS", "ROI"),
        [
            (
                c.channel,
                str(c.sessions),
                str(c.orders),
                _m(c.net_sales),
                str(c.new_customers),
                _m(c.spend),
                _m(c.cac),
                "n/a" if c.roas is None else str(rate_text(c.roas, 2)),
                percent(c.roi),
            )
            for c in d.channels
        ],
    )
    for title, rows in (("Promotions", d.promotions), ("Coupons", d.coupons)):
        if rows:
            out += ["", title]
            out += _table(
                ("key", "orders", "discount", "net sales"),
                [(p.key, str(p.orders), _m(p.discount), _m(p.net_sales)) for p in rows],
            )
    if d.retention:
        span = max(len(r.retention) for r in d.retention)
        out += ["", "Retention by first-purchase month (share ordering k months later)"]
        out += _table(
            ("cohort", "customers", *(f"+{k}" for k in range(span))),
            [
                (
                    r.cohort,
                    str(r.customers),
                    *(percent(x) for x in r.retention),
                    *([""] * (span - len(r.retention))),
                )
                for r in d.retention
            ],
        )
    if d.series:
        out += ["", f"Net sales by {d.bucket.value}"]
        out += _table(
            ("bucket", "sessions", "orders", "net sales"),
            [(p.label, str(p.sessions), str(p.orders), _m(p.net_sales)) for p in d.series],
        )
    if d.unknown_spend_channels:
        out += ["", "Spend given for unknown channels: " + ", ".join(d.unknown_spend_channels)]
    if d.problems:
        skipped = max(d.skipped_lines, len(d.problems))
        out += ["", f"{skipped} input line(s) skipped:"]
        out += [f"  {p}" for p in d.problems[:20]]
        if skipped > 20:
            out.append(f"  ... and {skipped - 20} more")
    return "\n".join(out) + "\n"


# --- HTML ----------------------------------------------------------------------------------------

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#1f2933;
background:#f7f9fb}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}
.sub{color:#616e7c;font-size:13px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(210px,1fr));gap:10px;
margin-top:16px}
.card{background:#fff;border:1px solid #e4e7eb;border-radius:8px;padding:10px 12px}
.card .k{color:#616e7c;font-size:12px}.card .v{font-size:17px;font-weight:600;margin-top:2px}
.card .d{font-size:12px;color:#616e7c}
table{border-collapse:collapse;background:#fff;font-size:13px}
td,th{border:1px solid #e4e7eb;padding:4px 8px;text-align:right}
td:first-child,th:first-child{text-align:left}
svg{background:#fff;border:1px solid #e4e7eb;border-radius:8px}
.warn{color:#b44d12}
"""

_BAR = "#3b82f6"


def _svg_bars_horizontal(
    rows: Sequence[tuple[str, int, str]], *, width: int = 640, color: str = _BAR
) -> str:
    """Horizontal bars: (label, value for scaling, value text)."""
    bar_h, gap, left, right = 22, 6, 150, 150
    height = max(1, len(rows)) * (bar_h + gap) + gap
    top = max((v for _, v, _ in rows), default=0) or 1
    parts = [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img">'
        )
    ]
    for i, (label, value, shown) in enumerate(rows):
        y = gap + i * (bar_h + gap)
        w = max(0.0, (width - left - right) * value / top)
        parts.append(
            f'<text x="{left - 8}" y="{y + 15}" font-size="12" text-anchor="end">'
            f"{escape(label[:22])}</text>"
            f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{color}" rx="3"/>'
            f'<text x="{left + w + 6:.1f}" y="{y + 15}" font-size="12">{escape(shown)}</text>'
        )
    if not rows:
        parts.append(f'<text x="{left}" y="20" font-size="12">no data</text>')
    parts.append("</svg>")
    return "".join(parts)


def _svg_series(dashboard: Dashboard, *, width: int = 760, height: int = 240) -> str:
    points = dashboard.series
    left, right, top_pad, bottom = 100, 16, 16, 40  # room for a "12345.67 EUR" axis label
    values = [to_minor(p.net_sales) for p in points]
    high = max([0, *values]) or 1
    low = min([0, *values])
    span = high - low or 1
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    parts = [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img">'
        )
    ]
    zero_y = top_pad + plot_h * high / span
    parts.append(
        f'<line x1="{left}" y1="{zero_y:.1f}" x2="{width - right}" y2="{zero_y:.1f}" '
        'stroke="#9aa5b1"/>'
    )
    top_label = points[0].net_sales.currency.code if points else dashboard.currency
    high_money = _m(points[values.index(max(values))].net_sales) if points else "0"
    parts.append(
        f'<text x="{left - 6}" y="{top_pad + 10}" font-size="11" text-anchor="end">'
        f"{escape(high_money if values and max(values) > 0 else top_label)}</text>"
        f'<text x="{left - 6}" y="{zero_y + 4:.1f}" font-size="11" text-anchor="end">0</text>'
    )
    n = max(1, len(points))
    slot = plot_w / n
    for i, (point, value) in enumerate(zip(points, values, strict=True)):
        x = left + i * slot + slot * 0.1
        h = plot_h * abs(value) / span
        y = zero_y - h if value >= 0 else zero_y
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(slot * 0.8, 1):.1f}" height="{h:.1f}" '
            f'fill="{_BAR}"><title>{escape(point.label)}: {escape(_m(point.net_sales))}, '
            f"{point.orders} orders</title></rect>"
        )
    step = max(1, n // 8)
    for i in range(0, len(points), step):
        x = left + i * slot + slot / 2
        parts.append(
            f'<text x="{x:.1f}" y="{height - bottom + 16}" font-size="10" '
            f'text-anchor="middle">{escape(points[i].label)}</text>'
        )
    if not points:
        parts.append(f'<text x="{left + 10}" y="{top_pad + 20}" font-size="12">no data</text>')
    parts.append("</svg>")
    return "".join(parts)


def _html_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _retention_table(dashboard: Dashboard) -> str:
    rows = dashboard.retention
    if not rows:
        return "<p class='sub'>no customers yet</p>"
    span = max(len(r.retention) for r in rows)
    head = "<th>cohort</th><th>customers</th>" + "".join(f"<th>+{k}</th>" for k in range(span))
    body = []
    for r in rows:
        cells = []
        for value in r.retention:
            alpha = rate_text(value, 2)
            cells.append(
                f'<td style="background:rgba(59,130,246,{alpha})">{escape(percent(value))}</td>'
            )
        cells += ["<td></td>"] * (span - len(r.retention))
        body.append(f"<tr><td>{escape(r.cohort)}</td><td>{r.customers}</td>{''.join(cells)}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def html(dashboard: Dashboard) -> str:
    """The dashboard as one self-contained HTML page."""
    d = dashboard
    cards = []
    for label, value in _kpi_lines(d):
        main, _, rest = value.partition(" (")
        extra = f'<div class="d">({escape(rest)}</div>' if rest else ""
        cards.append(
            f'<div class="card"><div class="k">{escape(label)}</div>'
            f'<div class="v">{escape(main)}</div>{extra}</div>'
        )
    funnel = _svg_bars_horizontal(
        [
            (
                s.name.replace("_", " "),
                s.sessions,
                f"{s.sessions} ({percent(s.step_conversion)} of previous)",
            )
            for s in d.funnel
        ],
        color="#10b981",
    )
    products = _svg_bars_horizontal(
        [(p.sku, to_minor(p.revenue), f"{_m(p.revenue)} · {p.units} u") for p in d.products]
    )
    channels = _svg_bars_horizontal(
        [(c.channel, max(0, to_minor(c.net_sales)), _m(c.net_sales)) for c in d.channels],
        color="#8b5cf6",
    )
    channel_table = _html_table(
        (
            "channel",
            "sessions",
            "orders",
            "net sales",
            "new customers",
            "spend",
            "CAC",
            "ROAS",
            "ROI",
        ),
        [
            (
                c.channel,
                str(c.sessions),
                str(c.orders),
                _m(c.net_sales),
                str(c.new_customers),
                _m(c.spend),
                _m(c.cac),
                "n/a" if c.roas is None else str(rate_text(c.roas, 2)),
                percent(c.roi),
            )
            for c in d.channels
        ],
    )
    promo_rows = [("promotion " + p.key, p) for p in d.promotions] + [
        ("coupon " + c.key, c) for c in d.coupons
    ]
    promotions = _html_table(
        ("promotion / coupon", "orders", "discount", "net sales"),
        [(k, str(p.orders), _m(p.discount), _m(p.net_sales)) for k, p in promo_rows],
    )
    warnings = []
    if d.unknown_spend_channels:
        warnings.append("Spend given for unknown channels: " + ", ".join(d.unknown_spend_channels))
    if d.problems:
        warnings.append(
            f"{max(d.skipped_lines, len(d.problems))} input line(s) skipped: "
            + "; ".join(str(p) for p in d.problems[:10])
        )
    warn_html = "".join(f'<p class="warn">{escape(w)}</p>' for w in warnings)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Sales dashboard</title><style>{_CSS}</style></head><body>"
        f'<h1>Sales dashboard</h1><div class="sub">{escape(_period(d))} · {d.events} events'
        f" · {escape(d.currency)}</div>{warn_html}"
        f'<div class="cards">{"".join(cards)}</div>'
        f"<h2>Net sales by {escape(d.bucket.value)}</h2>{_svg_series(d)}"
        f"<h2>Funnel</h2>{funnel}"
        f"<h2>Top products by revenue</h2>{products}"
        f"<h2>Channels</h2>{channels}<p></p>{channel_table}"
        f"<h2>Promotions and coupons</h2>{promotions}"
        f"<h2>Retention by first-purchase month</h2>{_retention_table(d)}"
        "</body></html>\n"
    )
