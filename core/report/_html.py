"""The HTML of the split report (:mod:`core.report._render`): escaping, numbers, tables, embedded figures, the page.

Everything that comes from the data goes through :func:`escape` (:func:`html.escape`); tables
escape every header and cell. Figures are embedded with plotly.js inline once, so the page opens
offline. The style sheet is inline too, and prints without the navigation bar.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ..figures import split_color, status_color

__all__ = ["escape", "format_number", "status_badge", "split_label", "html_table", "FigureEmbedder", "html_section",
           "decision_section", "CSS", "SECTION_TITLES", "html_page"]


def escape(value: object) -> str:
    return html.escape(str(value), quote=True)


def format_number(value: object) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return f"{value:,}"
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return "–"
        if float(value).is_integer() and abs(value) < 1e15:
            return f"{int(value):,}"
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return escape("–" if value is None else value)


def status_badge(status: str) -> str:
    return f'<span class="badge" style="background:{status_color(status)}">{escape(status)}</span>'


def split_label(name: str) -> str:
    return f'<span class="dot" style="background:{split_color(str(name))}"></span>{escape(name)}'


def html_table(frame: pd.DataFrame, *, percent: Sequence[str] = (), wide: bool = False) -> str:
    """An HTML table of ``frame``: every header and cell escaped; ``status`` as a badge, ``split`` as a dot."""
    head = "".join(f"<th>{escape(column)}</th>" for column in frame.columns)
    body = []
    for values in frame.itertuples(index=False):
        cells = []
        for column, value in zip(frame.columns, values, strict=True):
            if column == "status":
                cells.append(f"<td>{status_badge(str(value))}</td>")
            elif column == "split":
                cells.append(f"<td>{split_label(value)}</td>")
            elif column in percent and isinstance(value, (float, np.floating)) and not math.isnan(value):
                cells.append(f'<td class="num">{value:.1%}</td>')
            else:
                numeric = isinstance(value, (int, float, np.number)) and not isinstance(value, bool)
                cells.append(f'<td class="num">{format_number(value)}</td>' if numeric else f"<td>{format_number(value)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    klass = "table wide" if wide else "table"
    return f'<div class="scroll"><table class="{klass}"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>'


class FigureEmbedder:
    """Figures as HTML: plotly.js inline with the first one only, nothing fetched from the network."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, fig: go.Figure) -> str:
        self.count += 1
        return '<div class="figure">' + fig.to_html(
            full_html=False,
            include_plotlyjs=self.count == 1,
            config={"displaylogo": False, "responsive": True, "toImageButtonOptions": {"format": "svg"}},
        ) + "</div>"


def html_section(anchor: str, title: str, body: str, lead: str = "") -> str:
    intro = f'<p class="lead">{lead}</p>' if lead else ""
    return f'<section id="{anchor}"><h2>{escape(title)}</h2>{intro}{body}</section>'


# Saves the page with the reviewer's entries: each field's value is written into its markup, the figures
# are emptied (their scripts draw them again when the saved file opens), and the page is downloaded as a
# file. Everything happens in the page: nothing is sent anywhere.
SAVE_SCRIPT = """
function tsSaveReview(button) {
  const block = document.querySelector("#decision form");
  block.querySelectorAll("input, textarea").forEach((field) => {
    if (field.type === "radio") { field.toggleAttribute("checked", field.checked); }
    else if (field.tagName === "TEXTAREA") { field.textContent = field.value; }
    else { field.setAttribute("value", field.value); }
  });
  const copy = document.documentElement.cloneNode(true);
  copy.querySelectorAll(".plotly-graph-div").forEach((plot) => {
    plot.replaceChildren();
    plot.classList.remove("js-plotly-plot");
  });
  copy.querySelectorAll("head style:not(#ts-style)").forEach((added) => added.remove());
  const page = "<!DOCTYPE html>\\n" + copy.outerHTML;
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([page], {type: "text/html"}));
  link.download = block.dataset.filename;
  document.body.appendChild(link);
  link.click();
  link.remove();
  document.getElementById("ts-saved").textContent =
    "Saved as " + block.dataset.filename + " (in your downloads): open that file to see the notes.";
}
"""


def decision_section(filename: str) -> str:
    """The reviewer's block: decision (accept / revise), reviewer, date, notes; saved with the report.

    The fields are editable in the browser; **Save the report with these notes** downloads the page with
    them filled in, as ``filename``; printed, the block is a form to fill in by hand.
    """
    choices = "".join(
        f'<label class="choice"><input type="radio" name="ts-decision" value="{value}"> {text}</label>'
        for value, text in (("accept", "Accept the split"), ("revise", "Revise it (see the notes)"))
    )
    fields = (
        f'<fieldset class="review"><legend>Decision</legend>{choices}</fieldset>'
        '<div class="review-row"><label>Reviewer <input type="text" name="ts-reviewer" autocomplete="off"></label>'
        '<label>Date <input type="date" name="ts-date"></label></div>'
        '<label class="notes">Notes and requested changes<textarea name="ts-notes" rows="7"></textarea></label>'
    )
    actions = (
        '<p class="actions"><button type="button" onclick="tsSaveReview(this)">Save the report with these notes'
        '</button> <button type="button" onclick="window.print()">Print</button> '
        '<span id="ts-saved" class="note"></span></p>'
    )
    lead = ("For the review meeting: record what was decided. The fields are kept in this file only when it "
            "is saved with the button below (a new file, with the notes in it); printed, this is a form to fill in.")
    form = f'<form class="decision" data-filename="{escape(filename)}" onsubmit="return false">{fields}</form>'
    return html_section("decision", "Decision", f"{form}{actions}<script>{SAVE_SCRIPT}</script>", escape(lead))


CSS = """
:root { --ink: #1f2328; --muted: #59636e; --line: #d1d9e0; --soft: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff; line-height: 1.45;
       font: 15px/1.45 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; }
header { padding: 28px 40px 12px; border-bottom: 1px solid var(--line); }
header h1 { margin: 0 0 4px; font-size: 26px; }
nav { padding: 8px 40px; background: var(--soft); border-bottom: 1px solid var(--line); position: sticky; top: 0;
      z-index: 10; }
nav a { margin-right: 18px; color: #0969da; text-decoration: none; font-size: 14px; }
main { padding: 8px 40px 40px; max-width: 1400px; }
section { padding-top: 18px; }
h2 { font-size: 21px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 16px; margin: 20px 0 6px; }
h3 small { color: var(--muted); font-weight: normal; }
.lead, .note, .muted { color: var(--muted); }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 3px 18px; margin: 12px 0; }
.facts dt { color: var(--muted); } .facts dd { margin: 0; }
.verdict { font-size: 17px; margin: 10px 0; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; margin: 6px 0 10px; font-size: 13.5px; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 10px; text-align: left; vertical-align: top; }
th { background: var(--soft); font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.badge { color: #fff; border-radius: 10px; padding: 1px 9px; font-size: 12.5px; font-weight: 600; }
.dot { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; }
.warnings li { margin: 4px 0; list-style: none; } .warnings { padding-left: 0; }
pre { background: var(--soft); padding: 10px; overflow-x: auto; font-size: 13px; }
.figure { margin: 8px 0 14px; }
.recommend { font-size: 16px; padding: 8px 12px; background: #eaf5ec; border-left: 4px solid #1a7f37; }
.decision { max-width: 760px; }
.review { border: 1px solid var(--line); padding: 8px 12px; margin: 8px 0; }
.review legend { font-weight: 600; }
.choice { margin-right: 24px; }
.review-row { display: flex; gap: 24px; margin: 10px 0; }
.review-row label, .notes { display: flex; flex-direction: column; gap: 3px; font-weight: 600; }
.decision input[type=text], .decision input[type=date], .decision textarea {
  font: inherit; font-weight: normal; padding: 5px 8px; border: 1px solid #8c959f; border-radius: 4px; }
.decision input[type=text] { width: 320px; }
.decision textarea { width: 100%; resize: vertical; }
.actions button { font: inherit; padding: 6px 14px; border: 1px solid #8c959f; border-radius: 6px;
  background: var(--soft); cursor: pointer; }
@media print { nav, .actions { display: none; } section { break-inside: avoid-page; }
  .decision textarea { min-height: 9em; } }
"""

SECTION_TITLES = {
    "overview": "Overview", "split": "Split", "quality": "Quality", "leakage": "Leakage",
    "tasks": "Tasks", "cooccurrence": "Co-occurrence", "comparison": "Strategies", "warnings": "Warnings",
    "training": "Training", "runs": "Runs", "decision": "Decision",
}  # fmt: skip


def html_page(title: str, subtitle: str, sections: list[tuple[str, str]]) -> str:
    nav = "".join(f'<a href="#{anchor}">{SECTION_TITLES[anchor]}</a>' for anchor, _ in sections)
    body = "\n".join(part for _, part in sections)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{escape(title)}</title><style id=\"ts-style\">{CSS}</style></head><body>"
        f"<header><h1>{escape(title)}</h1><div class=\"muted\">{escape(subtitle)}</div></header>"
        f"<nav>{nav}</nav><main>\n{body}\n</main></body></html>\n"
    )
