"""Regenerate the documentation that is computed rather than written; run with ``make docs``.

``docs/data.md`` comes from the schemas, ``docs/indicators.md`` from the indicator catalogue; the measured
figures and plots in ``docs/synthetic-world.md`` come from worlds built on the spot, so the documentation can
never drift from the generator.

Generated text sits between ``<!-- generated:KEY:start -->`` and ``<!-- generated:KEY:end -->`` markers, so
the hand-written explanation around it survives a regeneration.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Literal

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pyarrow as pa
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from features.catalogue import CATALOGUE, CATALOGUE_VERSION, SOURCES, Indicator, catalogue_hash
from features.schemas import SCHEMAS
from serving.alerts import RULES_FILE, load_rules
from serving.retention import periods
from synth import WorldConfig, build_world
from synth.checklist import FLAGS, difficulty, red_flags

DOCS = Path(__file__).parent
IMG = DOCS / "img"
START, END = "<!-- generated:start -->", "<!-- generated:end -->"


def data_dictionary() -> str:
    """Markdown for every record table: meaning, unit, register, constraints, keys and rules."""
    out = [
        "# Data dictionary",
        "",
        "Generated from `features/schemas.py` by `make docs`; do not edit by hand.",
        "",
        "Every extract, synthetic or real, must satisfy these schemas. "
        "`tegenkracht validate DIR` checks them; rows that fail go to quarantine with table, row key, "
        "column and reason. Sensitive attributes "
        "(nationality, migration background, gender, age, religion and their encodings) are refused in every table "
        "below: they live in `sensitive/`, which only the fairness audit reads.",
        "",
    ]
    for s in SCHEMAS:
        out += [
            f"## `{s.name}`",
            "",
            s.description,
            "",
            f"*Source register:* {s.register}. *Key:* `{', '.join(s.key)}`.",
            "",
            "| column | type | unit | meaning | constraints |",
            "|---|---|---|---|---|",
        ]
        for c in s.columns:
            cons = []
            if not c.nullable:
                cons.append("required")
            if c.min is not None:
                cons.append(f"≥ {c.min:g}")
            if c.max is not None:
                cons.append(f"≤ {c.max:g}")
            if c.allowed:
                cons.append("one of " + ", ".join(f"`{a}`" for a in c.allowed))
            if c.pattern:
                cons.append(f"matches `{c.pattern}`")
            out.append(f"| `{c.name}` | {c.kind} | {c.unit} | {c.description} | {'; '.join(cons)} |")
        if s.row_checks:
            out += ["", "Row rules:", ""] + [f"- `{r.name}`: {r.description}" for r in s.row_checks]
        if s.foreign_keys:
            out += ["", "References:", ""] + [
                (
                    f"- `{fk.column}` → `{fk.ref_table}.{fk.ref_column}` {fk.when_text}".rstrip()
                    + (f"; {fk.not_before_text} not before the company's founding" if fk.not_before_founding else "")
                )
                for fk in s.foreign_keys
            ]
        out.append("")
    return "\n".join(out + import_mappings())


def import_mappings() -> list[str]:
    """The importers' mappings, from the code that applies them (``features/importers``)."""
    from features.importers.csv_mapping import LOOKUPS, MAPS, TRANSFORMS
    from features.importers.ftm import MAPPING, PERSONAL, SENSITIVE

    out = [
        "## Importing real data",
        "",
        "Real extracts reach these schemas through `tegenkracht import` and end in the same validation "
        "(`import_report.json` and `import_quarantine.parquet` say what could not be placed; `quarantine.parquet` "
        "what failed a schema). Person identifiers are always replaced by keyed pseudonyms (HMAC-SHA256, "
        "`TEGENKRACHT_PSEUDONYM_KEY` or a key kept in `var/pseudonym.key`). Tables a source has no data for "
        "are written empty; `jurisdictions` gets the project's reference list.",
        "",
        "### FollowTheMoney (`tegenkracht import ftm FILE --out DIR`)",
        "",
        "Every line is read and validated by the `followthemoney` package; a line that is not an entity is "
        "reported with its line number and the rest imported. Fragments with one id are merged. A property with "
        "several values uses the first in sorted order and is counted; a date without a day keeps its entity "
        "out (its spell would start on a guessed day). Every property not listed here is counted in the report. "
        "The synthetic world exported as FtM (`synth/ftm.py`) imports back to the same tables, up to what FtM "
        "cannot carry (employees, the address type): `tests/data/test_import.py` checks that round trip and "
        "`bench/bench_import.py` times it.",
        "",
        "| FtM schema | property | goes to |",
        "|---|---|---|",
    ]
    for schema, props in MAPPING.items():
        out += [f"| {schema} | `{prop}` | {target} |" for prop, target in props.items()]
    out += [
        "",
        f"*Person properties never imported* (personal data): {', '.join(f'`{p}`' for p in PERSONAL)}.",
        "",
        f"*Sensitive Person properties* ({', '.join(f'`{p}`' for p in SENSITIVE)}) go only to "
        "`sensitive/ftm_person_properties.parquet`, and only with `--sensitive`, for a fairness audit. They "
        "are kept as FtM holds them: mapping nationality onto the audit's groups (migration background is not "
        "nationality) is the auditor's decision. Address types are unknown in FtM (`address_type` = `unknown`, "
        "and `domicile_address` is then missing), and owners without a country get none unless "
        "`--default-owner-jurisdiction` says so.",
        "",
        "### Register extracts as CSV (`tegenkracht import csv FILES... --mapping MAPPING.yaml --out DIR`)",
        "",
        "A YAML mapping names, per table, the file (a name or pattern among FILES) and, per schema column, "
        "its source: a column name, or `{column, map, transform, format}`, `{value}` or "
        "`{lookup, from}`. Top-level `delimiter`, `encoding`, `decimal` and `date_format` describe the files. "
        f"`map` is `{'`, `'.join(MAPS)}` (the register's wording) or a table of values; `transform` is "
        f"`{'`, `'.join(TRANSFORMS)}`; `lookup` is `{'`, `'.join(LOOKUPS)}` by municipality name. A value that "
        "cannot be typed puts its row in the import quarantine as `file:line` with the column, the value and "
        "the reason; so does a value that would otherwise change on the way (a number with a fraction, or too "
        "large, in an integer column; a date outside 1800–2199; a postcode that is not whole; a percentage that "
        "is not a number). Identical rows are kept once. Source columns the mapping does not use are reported; "
        "one that looks like a sensitive attribute is never imported, and a mapping that reads one into any "
        "column is refused, naming the header. Example: `tests/data/fixtures/kvk_mapping.yaml`.",
        "",
        "The municipality list shipped is the synthetic world's (a subset of the country); pass the full CBS "
        "list with `--municipalities FILE.csv` (`name,code,riec_region`).",
        "",
    ]
    return out


def _save(fig: Figure, ax: Axes, name: str, legend: Literal["best", "lower right"] = "best") -> None:
    ax.legend(fontsize=8, loc=legend)
    fig.tight_layout()
    fig.savefig(IMG / name, dpi=110)
    plt.close(fig)


def indicator_catalogue() -> str:
    """Markdown for the indicator catalogue: one section per family, every field of every indicator."""
    out = [
        "# Indicator catalogue",
        "",
        f"Generated from `features/catalogue.py` (version {CATALOGUE_VERSION}, hash `{catalogue_hash()}`) by "
        "`make docs`; do not edit by hand.",
        "",
        "Every indicator is computed point-in-time: only records known on the as-of date are used (filings by their "
        "filing date, officers and owners by their start and end, cases by their closing date). Missing values are "
        "left missing (NaN), never imputed. Financial indicators marked *peer* are robust z-scores against "
        "companies in the same SBI section and size class (median and 1.4826 × MAD from the reference period, "
        "falling back to the section and then to all companies below 30 peers; clipped to ±10).",
        "",
        "**proxy risk** marks indicators that may stand in for a sensitive attribute or a poor neighbourhood; "
        "the fairness audit tests them. No indicator reads a sensitive attribute: the catalogue refuses any that "
        "would.",
        "",
        "| family | indicators |",
        "|---|---|",
    ]
    families: dict[str, list[Indicator]] = {}
    for ind in CATALOGUE:
        families.setdefault(ind.family, []).append(ind)
    out += [f"| {fam} | {', '.join(f'`{i.id}`' for i in inds)} |" for fam, inds in families.items()]
    for fam, inds in families.items():
        out += ["", f"## {fam.replace('_', ' ').capitalize()}", ""]
        for i in inds:
            flags = [f"unit: {i.unit}", f"concern when: {i.direction}", f"DESIGN §3 family {i.design_family}"]
            if i.peer_relative:
                flags.append("peer")
            if i.proxy_risk:
                flags.append("**proxy risk**")
            out += [
                f"### `{i.id}` — {i.label_en} / *{i.label_nl}*",
                "",
                i.description,
                "",
                f"- {'; '.join(flags)}",
                f"- why: {i.rationale}",
                f"- source: {SOURCES[i.source]}",
                f"- reads: {', '.join(f'`{c}`' for c in i.inputs)}",
                "",
            ]
    return "\n".join(out)


def alert_rules() -> str:
    """Markdown for the shipped alert rules (``serving/templates/alert_rules.toml``), every field of every rule."""
    kinds = {
        "band": "the signal rose into a higher band (level: the band's rank, 1 raised … 3 very high)",
        "rises": "the sum of its indicators rose and is now at least the threshold (level: the new sum)",
        "top_k": "the company entered its RIEC region's top k, `TEGENKRACHT_ALERT_TOP_K` (level: 1)",
    }
    out = [
        "# Alert rules",
        "",
        "Generated from `serving/templates/alert_rules.toml` by `make docs`; do not edit by hand. An operator can "
        "point `TEGENKRACHT_ALERT_RULES` at a file of their own in the same form; it is checked when loaded (unknown "
        "fields, unknown indicators and unknown sources are refused).",
        "",
        "Rules are evaluated for every company present in a newly loaded batch and in the batch before it, and "
        "alerts go only to **open watches** (not expired, not ended) of analysts whose regions hold the company "
        "in the new batch. On one watch a rule fires again only above the highest level it already fired at: "
        "a refresh, a reload of the same scores or a value that falls and comes back never alerts twice "
        "(Quantexa's practice: re-alert only on new material risk). A missing previous value counts as unknown, "
        "so a fact that appears alerts once.",
        "",
        "| rule | kind | indicators | at least | source |",
        "|---|---|---|---:|---|",
    ]
    rules = load_rules(RULES_FILE)
    for r in rules:
        names = ", ".join(f"`{i}`" for i in r.indicators) or "–"
        at_least = f"{r.at_least:g}" if r.kind == "rises" else "–"
        out.append(f"| `{r.id}` | {r.kind} | {names} | {at_least} | {r.source} |")
    out += ["", "## The kinds", ""] + [f"- **{k}**: {v}" for k, v in kinds.items()]
    for r in rules:
        out += ["", f"## `{r.id}` — {r.label_en} / *{r.label_nl}*", "", r.why, "", f"- source: {SOURCES[r.source]}"]
    return "\n".join(out) + "\n"


def retention_periods() -> str:
    """Markdown table of the default retention periods and their reasons (``serving.retention``)."""
    out = ["| records | setting | default days | counted from | why |", "|---|---|---:|---|---|"]
    out += [f"| {p.what} | `TEGENKRACHT_{p.setting}` | {p.days} | {p.counted_from} | {p.reason} |" for p in periods()]
    return "\n".join(out)


def _precision_curve(score: pd.Series, region: pd.Series, truth: pd.Series, shares: np.ndarray) -> np.ndarray:
    rng = np.random.default_rng(0)
    jitter = rng.random(len(score))
    df = pd.DataFrame({"s": score.to_numpy(), "j": jitter, "r": region.to_numpy(), "t": truth.to_numpy()})
    df = df.sort_values(["r", "s", "j"], ascending=[True, False, False])
    df["rank"] = df.groupby("r").cumcount()
    df["n"] = df.groupby("r").r.transform("size")
    return np.array([df[df["rank"] < np.maximum(1, np.round(sh * df.n))].t.mean() for sh in shares])


def difficulty_section(n: int) -> str:
    """Checklist vs oracle on the default world, with a precision-by-share plot."""
    cfg = WorldConfig(n_companies=n)
    tables = build_world(cfg)
    as_of = f"{cfg.end_year}-12-31"
    d = difficulty(tables, as_of)
    flags = red_flags(tables, as_of).set_index("company_id")
    truth = tables["truth/companies"].to_pandas().set_index("company_id")
    all_prev = truth.involved.mean()
    truth = truth.reindex(flags.index)
    count = flags[list(FLAGS)].sum(axis=1).astype(float)
    shares = np.array([0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1])
    cl = _precision_curve(count, flags.region, truth.involved, shares)
    orc = _precision_curve(truth.propensity, flags.region, truth.involved, shares)
    fig, ax = plt.subplots(figsize=(6.4, 4))
    ax.plot(shares * 100, orc, "o-", label="oracle (true propensity)")
    ax.plot(shares * 100, cl, "s-", label="red-flag checklist (count of 12 flags)")
    ax.axhline(truth.involved.mean(), color="grey", ls=":", label="base rate (active companies)")
    ax.axvline(0.5, color="black", lw=0.6)
    ax.set_xscale("log")
    ax.set_xlabel("share of each region selected (%)")
    ax.set_ylabel("precision against ground truth")
    ax.set_title(f"Difficulty of the default world ({n:,} companies)")
    _save(fig, ax, "difficulty.png")
    flag_rows = ["| flag | share flagged | precision | recall |", "|---|---|---|---|"]
    for f in FLAGS:
        hit = flags[f]
        flag_rows.append(
            f"| `{f}` | {hit.mean():.3%} | {truth.involved[hit].mean():.3f} | {hit[truth.involved].mean():.3f} |"
        )
    regions = ["| region | checklist | oracle |", "|---|---|---|"] + [
        f"| {r} | {d.checklist_by_region[r]:.2f} | {d.oracle_by_region[r]:.2f} |" for r in sorted(d.checklist_by_region)
    ]
    return "\n".join(
        [
            f"Measured on the default world (`WorldConfig(n_companies={n:,})`, seed {cfg.seed}), as of {as_of}:",
            "",
            f"- prevalence: **{all_prev:.2%}** of all companies in the register over the window, "
            f"**{d.prevalence:.2%}** of companies active on {as_of};",
            f"- **checklist precision in the top 0.5% of each region: {d.checklist:.3f}** (target 0.10–0.25);",
            f"- **oracle precision in the top 0.5% of each region: {d.oracle:.3f}** (target 0.40–0.70).",
            "",
            "![precision by share selected](img/difficulty.png)",
            "",
            "Per region (top 0.5%):",
            "",
            *regions,
            "",
            "Each checklist flag on its own (active companies):",
            "",
            *flag_rows,
            "",
        ]
    )


def _visibility(tables: dict[str, pa.Table]) -> pd.DataFrame:
    co = tables["companies"].to_pandas().merge(tables["addresses"].to_pandas()[["address_id", "pc4"]], on="address_id")
    ses = tables["sensitive/neighbourhoods"].to_pandas().set_index("pc4").ses_class
    off = tables["officers"].to_pandas()
    boss = off[off.role == "bestuurder"].sort_values("start_on").groupby("company_id").person_id.last()
    mig = tables["sensitive/persons"].to_pandas().set_index("person_id").migration_background
    out = pd.DataFrame(
        {
            "company_id": co.company_id,
            "low_ses": co.pc4.map(ses).eq("low").to_numpy(),
            "non_western": co.company_id.map(boss).map(mig).eq("non_western").to_numpy(),
        }
    )
    truth = tables["truth/companies"].to_pandas().set_index("company_id").involved
    out["involved"] = out.company_id.map(truth).to_numpy()
    return out


def label_bias_section(n: int) -> str:
    """Case rates by visibility for several label-bias values: truth fixed, labels move."""
    rows, bars = [], {}
    for b in (1.0, 2.0, 4.0):
        tables = build_world(WorldConfig(n_companies=n, label_bias=b, segregation=1.0))
        vis = _visibility(tables)
        cases = tables["cases"].to_pandas()
        confirmed = set(cases.company_id[cases.outcome == "confirmed"])
        vis["cased"] = vis.company_id.isin(set(cases.company_id))
        vis["label"] = vis.company_id.isin(confirmed)
        vis["v"] = vis.low_ses.astype(int) + vis.non_western.astype(int)
        g = vis.groupby("v")
        bars[b] = g.cased.mean().to_numpy()
        for v, grp in g:
            rows.append(
                f"| {b:g} | {v} | {len(grp):,} | {grp.involved.mean():.3%} | {grp.cased.mean():.3%} | "
                f"{grp.label.mean():.3%} |"
            )
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    width = 0.25
    for i, (b, vals) in enumerate(bars.items()):
        ax.bar(np.arange(len(vals)) + i * width, vals * 100, width, label=f"label bias {b:g}")
    ax.set_xticks(np.arange(3) + width, ["0: neither", "1: low SES or non-western", "2: both"])
    ax.set_xlabel("visibility")
    ax.set_ylabel("companies investigated (%)")
    ax.set_title("Label channel: investigations rise with visibility; truth does not")
    _save(fig, ax, "label-bias.png")
    return "\n".join(
        [
            f"Worlds of {n:,} companies, segregation 1.0, same seed; only `--label-bias` differs:",
            "",
            "| label bias | visibility | companies | truly involved | investigated | confirmed (label) |",
            "|---|---|---|---|---|---|",
            *rows,
            "",
            "![label bias](img/label-bias.png)",
            "",
        ]
    )


def segregation_section(n: int) -> str:
    """Non-western share of directors by sector at segregation 0 and 1: the proxy channel."""
    shares: dict[str, pd.Series] = {}
    for g in (0.0, 1.0):
        t = build_world(WorldConfig(n_companies=n, segregation=g))
        off = t["officers"].to_pandas()
        off = off[off.role == "bestuurder"].merge(t["companies"].to_pandas()[["company_id", "sbi_code"]])
        mig = off.person_id.map(t["sensitive/persons"].to_pandas().set_index("person_id").migration_background)
        shares[f"g{g:g}"] = (mig == "non_western").groupby(off.sbi_code).mean()
    df = pd.DataFrame(shares).sort_values("g1")
    fig, ax = plt.subplots(figsize=(6.4, 6))
    y = np.arange(len(df))
    ax.barh(y - 0.2, df["g0"] * 100, 0.4, label="segregation 0")
    ax.barh(y + 0.2, df["g1"] * 100, 0.4, label="segregation 1")
    ax.set_yticks(y, df.index, fontsize=7)
    ax.set_xlabel("directors with a non-western migration background (%)")
    ax.set_title("Proxy channel: background clusters by sector")
    _save(fig, ax, "segregation.png")
    return (
        f"Worlds of {n:,} companies; share of directors with a non-western background per SBI code "
        f"(spread across sectors: {df['g0'].std():.3f} at segregation 0, {df['g1'].std():.3f} at 1):\n\n"
        "![segregation](img/segregation.png)\n"
    )


def indicator_signal_section(n: int, as_of: str = "2020-12-31") -> str:
    """Univariate ROC AUC of every indicator against ground truth and against the observed labels."""
    from sklearn.metrics import roc_auc_score

    from features.pipeline import compute_indicators
    from features.validation import validate_table

    cfg = WorldConfig(n_companies=n)
    tables = {k: v.to_pandas(date_as_object=False) for k, v in build_world(cfg).items()}
    typed = {s.name: validate_table(tables[s.name], s)[0] for s in SCHEMAS}
    when = pd.Timestamp(as_of)
    frame, _ = compute_indicators(typed, when)
    truth = tables["truth/companies"].set_index("company_id").involved.reindex(frame.company_id).to_numpy()
    cases = tables["cases"]
    horizon = when + pd.DateOffset(months=24)
    hit = cases[(cases.outcome == "confirmed") & (cases.opened_on > when) & (cases.opened_on <= horizon)]
    label = frame.company_id.isin(set(hit.company_id)).to_numpy()
    rows, auc_t, auc_l = [], [], []
    for ind in CATALOGUE:
        x = frame[ind.id].to_numpy(dtype=float)
        ok = ~np.isnan(x)
        t = roc_auc_score(truth[ok], x[ok]) if len(set(truth[ok])) > 1 else np.nan
        lab = roc_auc_score(label[ok], x[ok]) if len(set(label[ok])) > 1 else np.nan
        auc_t.append(t)
        auc_l.append(lab)
        rows.append(f"| `{ind.id}` | {ok.mean():.0%} | {t:.3f} | {lab:.3f} |")
    fig, ax = plt.subplots(figsize=(6.4, 8))
    y = np.arange(len(CATALOGUE))
    ax.barh(y - 0.2, np.asarray(auc_t) - 0.5, 0.4, left=0.5, label="against ground truth")
    ax.barh(y + 0.2, np.asarray(auc_l) - 0.5, 0.4, left=0.5, label="against labels (confirmed case in 24 months)")
    ax.set_yticks(y, [i.id for i in CATALOGUE], fontsize=7)
    ax.axvline(0.5, color="black", lw=0.6)
    ax.invert_yaxis()
    ax.set_xlabel("ROC AUC of the indicator alone (0.5 = no signal)")
    ax.set_title(f"What each indicator sees (as of {as_of})")
    _save(fig, ax, "indicator-signal.png", legend="lower right")
    return "\n".join(
        [
            f"Default world of {n:,} companies, indicators as of {as_of}; {int(truth.sum())} truly involved and "
            f"{int(label.sum())} labelled companies (a confirmed case opened in the next 24 months) among "
            f"{len(frame):,} active ones. AUC is computed where the indicator is not missing; bank data only "
            "exist for the last three years of the window, so the cash-flow indicators are missing (nan) here.",
            "",
            "![indicator signal](img/indicator-signal.png)",
            "",
            "| indicator | known for | AUC vs truth | AUC vs labels |",
            "|---|---|---|---|",
            *rows,
            "",
        ]
    )


def _replace(path: Path, key: str, text: str) -> None:
    src = path.read_text()
    start, end = f"<!-- generated:{key}:start -->", f"<!-- generated:{key}:end -->"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
    if not pattern.search(src):
        raise SystemExit(f"{path} lacks the markers for '{key}'")
    path.write_text(pattern.sub(lambda _m: f"{start}\n{text}\n{end}", src))


def main() -> None:
    """Regenerate docs; ``--companies`` sets the size of the calibration world."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--companies", type=int, default=500_000)
    parser.add_argument("--knob-companies", type=int, default=100_000)
    args = parser.parse_args()
    IMG.mkdir(exist_ok=True)
    (DOCS / "data.md").write_text(data_dictionary())
    (DOCS / "indicators.md").write_text(indicator_catalogue())
    (DOCS / "alerts.md").write_text(alert_rules())
    _replace(DOCS / "retention.md", "periods", retention_periods())
    world_doc = DOCS / "synthetic-world.md"
    _replace(world_doc, "difficulty", difficulty_section(args.companies))
    _replace(world_doc, "label-bias", label_bias_section(args.knob_companies))
    _replace(world_doc, "segregation", segregation_section(args.knob_companies))
    _replace(world_doc, "indicator-signal", indicator_signal_section(args.knob_companies * 2))


if __name__ == "__main__":
    main()
