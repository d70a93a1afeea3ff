"""Server-rendered SVG charts (pygal): no chart script in the browser, nothing fetched.

A chart goes to the page as an ``<img>`` with a ``data:`` URL, so its own styles stay inside
the image and the page's Content-Security-Policy needs no inline style or script. The SVG
carries a ``<title>`` and ``<desc>``; the page shows the same numbers as a table (the
accessible fallback), so nothing is only in the picture.
"""

from __future__ import annotations

import base64
import sys
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass

import pygal
from pygal.style import Style

# pygal appends a legacy import hook (for its map plugins, unused here) to sys.meta_path;
# it has no find_spec, so every later failed import in the process raises ImportWarning.
sys.meta_path[:] = [f for f in sys.meta_path if type(f).__module__ != "pygal"]

# Colour-blind-safe palette (Okabe-Ito), dark enough on white for the bars' 3:1 contrast.
STYLE = Style(
    background="#ffffff", plot_background="#ffffff", foreground="#1f2933",
    foreground_strong="#111111", foreground_subtle="#6b7280", opacity="1", opacity_hover="1",
    font_family="system-ui, sans-serif", title_font_size=18, label_font_size=13,
    major_label_font_size=13, legend_font_size=14, value_font_size=12,
    colors=("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
            "#F0E442"),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Chart:
    title: str
    desc: str
    data_uri: str
    head: tuple[str, ...]  # the table fallback: header row and rows
    rows: tuple[tuple[str, ...], ...]


def stacked_bars(title: str, desc: str, x_title: str, x_labels: Sequence[str],
                 series: dict[str, list[int]]) -> Chart:  # fmt: skip
    """Bars per x label, one stacked segment per series (e.g. per purpose per day)."""
    chart = pygal.StackedBar(style=STYLE, js=[], disable_xml_declaration=True, width=900,
                             height=420, legend_at_bottom=True, x_label_rotation=0,
                             print_zeroes=False, show_y_guides=True, x_title=x_title,
                             title=title, truncate_legend=-1)  # fmt: skip
    chart.x_labels = list(x_labels)
    top = max([sum(v[i] for v in series.values()) for i in range(len(x_labels))], default=0)
    step = max(1, -(-top // 8))  # whole-number ticks: these are counts
    chart.y_labels = list(range(0, max(top, 1) + step, step))
    for name, values in series.items():
        chart.add(name, [v or None for v in values])
    head = (x_title, *series)
    rows = tuple((label, *(str(series[s][i]) for s in series))
                 for i, label in enumerate(x_labels))  # fmt: skip
    return Chart(title, desc, _data_uri(chart, title, desc), head, rows)


def _data_uri(chart: pygal.graph.graph.Graph, title: str, desc: str) -> str:
    root = chart.render_tree()
    for parent in list(root.iter()):
        for child in list(parent):
            if child.tag == "script":  # it would never run in an <img>; drop it
                parent.remove(child)
    desc_el = ET.Element("desc")
    desc_el.text = desc
    title_el = ET.Element("title")
    title_el.text = title
    root.insert(0, desc_el)
    root.insert(0, title_el)
    root.set("role", "img")
    svg = ET.tostring(root, encoding="utf-8")
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")
