"""A real click on a bar of the label distributions lists that bar's rows under Drill-down.

AppTest can only hand the page a selection event; this clicks the SVG bar in plotly.js, so the
faceted chart's ``customdata`` must survive Streamlit's selection round trip.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import assert_no_exception, click_point_and_wait, visit, wait_idle

pytestmark = pytest.mark.browser


def test_clicking_a_bar_lists_its_rows(page, app_url):
    visit(page, f"{app_url}/diagnostics")
    assert_no_exception(page, "Diagnostics on the first visit")
    chart = page.locator(".st-key-diag_dist .js-plotly-plot")
    # the first facet is union (binary), drawn as its rate per split: the first bar is train's union=1
    bar = chart.locator(".barlayer .trace").first.locator(".point path").first
    bar.scroll_into_view_if_needed()
    wait_idle(page)  # the page draws what comes into view: the bar's place once it has
    expect(bar).to_be_visible()
    box = bar.bounding_box()
    click_point_and_wait(page, box["x"] + box["width"] / 2, box["y"] + box["height"] - 4)
    assert_no_exception(page, "Diagnostics after a bar click")
    header = page.get_by_text("train rows with union=1", exact=False)
    expect(header.first).to_be_visible()
    rows = int(header.first.inner_text().split()[0].strip("*").replace(",", ""))
    assert 500 < rows < 3048  # union=1 is about a quarter of train's 3,048 rows
    # the rows come into view: no scrolling ~1,500 px down to find them (issue 12)
    expect(page.locator(".st-key-diag_drill")).to_be_in_viewport(ratio=0.5)
    expect(header.first).to_be_in_viewport()


def test_clicking_a_heatmap_cell_lists_the_rows_with_both_labels(page, app_url):
    visit(page, f"{app_url}/diagnostics")
    heatmap = page.locator(".st-key-diag_cooc_chart .js-plotly-plot")
    plot_area = heatmap.locator(".nsewdrag").first  # the heatmap's plot area
    plot_area.scroll_into_view_if_needed()
    wait_idle(page)  # the page draws what comes into view: the heatmap's place once it has
    expect(plot_area).to_be_visible()
    box = plot_area.bounding_box()
    # near the top-left corner: row union=1 (union=0 is hidden by default), in one of the first columns
    click_point_and_wait(page, box["x"] + box["width"] * 0.06, box["y"] + box["height"] * 0.01 + 4)
    assert_no_exception(page, "Diagnostics after a heatmap click")
    header = page.get_by_text("all rows with union=1 and ", exact=False)
    expect(header.first).to_be_visible()
    expect(header.first).to_be_in_viewport()
