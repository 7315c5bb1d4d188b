"""The /thongke chart: cases filed per week and their on-time rate."""

from __future__ import annotations

import io

from bot.lazy_imports import LAZY_IMPORTS
from bot.reports.figures import Report
from locales import Translator, get_translator


def report_chart(report: Report, tr: Translator | None = None) -> bytes:
    """Cases filed per ISO week (bars) and the on-time rate of each week's cases (line, right
    axis, 0–100%), as PNG bytes. Drawn on a bare Figure with the Agg canvas: no display and no
    pyplot global state, so the bot can draw from a worker thread."""
    with LAZY_IMPORTS:  # not while the forms hide numpy from fpdf2 (bot.lazy_imports)
        from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: PLC0415 - slow import, used rarely
        from matplotlib.figure import Figure
        from matplotlib.ticker import MaxNLocator, PercentFormatter

    tr = tr or get_translator("vi")
    _ = tr.gettext
    many = len(report.weeks) > 12  # a quarter or more: week numbers only, upright
    labels = [w.label if many else f"{w.label}\n{w.dates[0]:%d/%m}–{w.dates[1]:%d/%m}" for w in report.weeks]
    positions = list(range(len(labels)))
    figure = Figure(figsize=(max(8.0, min(16.0, 0.3 * len(labels))), 4.5), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    bars = axes.bar(positions, [w.total for w in report.weeks], color="#4C78A8", label=_("Cases filed"))
    axes.bar_label(bars, labels=[str(w.total) if w.total or not many else "" for w in report.weeks], fontsize=8)
    axes.set_xticks(positions, labels, rotation=90 if many else 0, fontsize=7 if many else 8)
    axes.set_xlabel(_("ISO week"))
    axes.set_ylabel(_("Cases filed"))
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylim(0, max([w.total for w in report.weeks] + [1]) * 1.2)
    rates = axes.twinx()
    values = [float("nan") if w.on_time_rate.value is None else w.on_time_rate.value * 100 for w in report.weeks]
    line = rates.plot(positions, values, color="#E45756", marker="o", label=_("On-time rate"))
    rates.set_ylim(0, 105)
    rates.yaxis.set_major_formatter(PercentFormatter(100))
    rates.set_ylabel(_("On-time rate (%)"))
    figure.legend(handles=[bars, *line], loc="lower center", ncol=2, fontsize=8, frameon=False)
    axes.set_title(_("Cases filed per week, {start} – {end}").format(start=tr.date(report.start),
                                                                      end=tr.date(report.end)), fontsize=10)
    figure.tight_layout(rect=(0, 0.06, 1, 1))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
