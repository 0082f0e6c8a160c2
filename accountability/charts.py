"""Server-rendered SVG chart geometry for the dashboard (no JavaScript, no chart library)."""

from __future__ import annotations


def _nice_step(value: float) -> int:
    """A round step so that four steps cover `value`: ticks are whole numbers."""
    for magnitude in (1, 10, 100, 1000, 10000, 100000):
        for step in (1, 2, 5):
            if step * magnitude * 4 >= value:
                return step * magnitude
    return int(value / 4) + 1


def grouped_bar_chart(categories: list[str], series: list[tuple[str, list[int], str]], height: int = 200):
    """Bars per category for each series (e.g. this year and last year), with a y axis and a legend."""
    left, bottom, top_pad = 36, 24, 10
    band = 44
    width = left + band * len(categories) + 10
    plot_h = height - bottom - top_pad
    step = _nice_step(max([v for _, values, _ in series for v in values] + [0]))
    top = step * 4
    bar_w = (band - 10) / max(len(series), 1)
    bars = []
    for ci, _category in enumerate(categories):
        for si, (name, values, css) in enumerate(series):
            value = values[ci]
            h = plot_h * value / top if top else 0
            x = left + ci * band + 5 + si * bar_w
            bars.append(
                {
                    "x": round(x, 1),
                    "y": round(top_pad + plot_h - h, 1),
                    "w": round(bar_w - 1, 1),
                    "h": round(h, 1),
                    "css": css,
                    "title": f"{categories[ci]} {name}：{value}",
                    "value": value,
                    "label_y": round(top_pad + plot_h - h - 2, 1),
                }
            )
    ticks = [{"y": round(top_pad + plot_h - plot_h * i / 4, 1), "label": step * i} for i in range(5)]
    labels = [
        {"x": round(left + ci * band + band / 2, 1), "y": height - 6, "text": category}
        for ci, category in enumerate(categories)
    ]
    return {
        "width": width,
        "height": height,
        "left": left,
        "right": width - 10,
        "bars": bars,
        "ticks": ticks,
        "labels": labels,
        "legend": [{"name": name, "css": css} for name, _values, css in series],
        "base_y": top_pad + plot_h,
    }


def horizontal_bars(rows: list[tuple[str, int]], width: int = 360):
    """One bar per row (label, value), longest first, for the by-sector and by-territory charts."""
    top = max([v for _, v in rows] + [0]) or 1
    label_w, row_h = 130, 22
    bars = []
    for i, (label, value) in enumerate(rows):
        w = (width - label_w - 40) * value / top
        bars.append(
            {"y": i * row_h + 4, "w": round(w, 1), "label": label, "value": value, "text_y": i * row_h + 16}
        )
    return {
        "width": width,
        "height": max(len(rows), 1) * row_h + 8,
        "label_w": label_w,
        "bars": bars,
    }


def year_on_year(this: int, last: int) -> str:
    if last == 0:
        return "—" if this == 0 else "新增"
    change = (this - last) * 100 / last
    return f"{change:+.0f}%"
