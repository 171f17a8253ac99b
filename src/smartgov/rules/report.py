"""A comparison shown three ways: a text table for the terminal, charts (matplotlib,
PNG or SVG), and a self-contained HTML page."""

from __future__ import annotations

import html as html_escape
import io
import warnings
from collections.abc import Mapping
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display: render to files and strings only

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from smartgov.core.i18n import translator  # noqa: E402
from smartgov.rules.explain import pick  # noqa: E402
from smartgov.rules.simulate import DIMENSION_LABELS, Comparison, Group  # noqa: E402

CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans SC", "WenQuanYi Zen Hei", "Source Han Sans SC")


#: How a withheld figure (fewer than simulate.MIN_CELL people) is shown.
WITHHELD = "–"


def _money(value: float | None) -> str:
    return WITHHELD if value is None else f"{value:,.0f}"


def _count(value: int | None) -> str:
    return WITHHELD if value is None else f"{value:,}"


def _rows(comparison: Comparison, language: str) -> list[tuple[str, str, str]]:
    _ = translator(language)
    t = comparison.total
    return [
        (_("Beneficiaries"), _count(t.base_beneficiaries), _count(t.reform_beneficiaries)),
        (_("Cost per year (yuan)"), _money(t.base_cost), _money(t.reform_cost)),
        (_("Average per beneficiary per year"), _money(t.base_average), _money(t.reform_average)),
        (_("Undetermined"), _count(t.base_undetermined), _count(t.reform_undetermined)),
    ]


def text_table(
    comparison: Comparison, language: str, labels: Mapping[str, str] | None = None
) -> str:
    _ = translator(language)
    t = comparison.total
    name = pick(comparison.reform, language)
    lines = [
        f"{comparison.service} · {name} · {comparison.on.isoformat()} · "
        f"{_('population')} {_count(t.people)}",
        "",
    ]
    lines.append(f"{'':40} {_('Today'):>16} {_('Reform'):>16}")
    for label, base, reform in _rows(comparison, language):
        lines.append(f"{label:40} {base:>16} {reform:>16}")
    lines.append("")
    lines.append(
        _("Winners: {winners}   Losers: {losers}   Change in cost: {change} yuan a year").format(
            winners=_count(t.winners), losers=_count(t.losers), change=_money(t.cost_change)
        )
    )
    for dimension, groups in comparison.breakdowns.items():
        lines.append("")
        lines.append(_(DIMENSION_LABELS.get(dimension, dimension)))
        lines.append(
            f"  {'':22} {_('Today'):>10} {_('Reform'):>10} {_('Winners'):>9} "
            f"{_('Losers'):>8} {_('Change in cost'):>16}"
        )
        for key, g in groups.items():
            shown = (labels or {}).get(key, key)
            lines.append(
                f"  {shown:22} {_count(g.base_beneficiaries):>10} "
                f"{_count(g.reform_beneficiaries):>10} {_count(g.winners):>9} "
                f"{_count(g.losers):>8} {_money(g.cost_change):>16}"
            )
    return "\n".join(lines)


def _font_family(language: str) -> list[str]:
    if not language.startswith("zh"):
        return ["DejaVu Sans"]
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return [f for f in CJK_FONTS if f in installed] + ["DejaVu Sans"]


def figure(
    comparison: Comparison, language: str, labels: Mapping[str, str] | None = None
) -> Figure:
    """Beneficiaries and cost by group, today and under the reform, and who gains."""
    _ = translator(language)
    chosen = [
        d for d in ("district", "income_decile", "age_band", "size") if d in comparison.breakdowns
    ][:2]
    with plt.rc_context({"font.family": _font_family(language), "svg.fonttype": "none"}):
        fig, axes = plt.subplots(1, len(chosen) + 1, figsize=(5 * (len(chosen) + 1), 4))
        axes = list(axes) if len(chosen) else [axes]
        for ax, dimension in zip(axes, chosen, strict=False):
            groups = comparison.breakdowns[dimension]
            keys = list(groups)
            xs = range(len(keys))
            # A withheld cost draws as no bar; the tables say "withheld".
            base = [(groups[k].base_cost or 0) / 1e4 for k in keys]
            reform = [(groups[k].reform_cost or 0) / 1e4 for k in keys]
            ax.bar([x - 0.2 for x in xs], base, width=0.4, label=_("Today"), color="#005ea2")
            ax.bar([x + 0.2 for x in xs], reform, width=0.4, label=_("Reform"), color="#e5a000")
            ax.set_xticks(
                list(xs),
                [(labels or {}).get(k, k) for k in keys],
                rotation=45,
                ha="right",
                fontsize=8,
            )
            ax.set_title(
                _("Cost per year by {group} (10,000 yuan)").format(
                    group=_(DIMENSION_LABELS.get(dimension, dimension)).lower()
                ),
                fontsize=10,
            )
            ax.legend(fontsize=8)
        ax = axes[-1]
        t: Group = comparison.total
        change = (
            None
            if t.reform_beneficiaries is None or t.base_beneficiaries is None
            else t.reform_beneficiaries - t.base_beneficiaries
        )
        shown = [t.winners, t.losers, change]
        bars = [value or 0 for value in shown]
        names = [_("Winners"), _("Losers"), _("Change in beneficiaries")]
        ax.bar(names, bars, color=["#00a91c", "#d54309", "#565c65"])
        ax.set_title(_("Who gains and who loses"), fontsize=10)
        for x, (value, height) in enumerate(zip(shown, bars, strict=True)):
            ax.annotate(_count(value), (x, height), ha="center", va="bottom", fontsize=8)
        fig.tight_layout()
    return fig


def svg(comparison: Comparison, language: str, labels: Mapping[str, str] | None = None) -> str:
    """The charts as SVG text; labels stay text, drawn in the reader's own fonts."""
    buffer = io.StringIO()
    with warnings.catch_warnings():
        # Text stays text in the SVG: glyphs missing from matplotlib's fonts do not matter.
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        fig = figure(comparison, language, labels)
        with plt.rc_context({"svg.fonttype": "none"}):
            fig.savefig(buffer, format="svg")
    plt.close(fig)
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def write_chart(
    comparison: Comparison, path: Path, language: str, labels: Mapping[str, str] | None = None
) -> None:
    if path.suffix.lower() == ".svg":
        path.write_text(svg(comparison, language, labels), encoding="utf-8")
        return
    if language.startswith("zh") and _font_family(language) == ["DejaVu Sans"]:
        language = "en"  # no CJK font installed: English labels rather than empty boxes
        labels = None
    fig = figure(comparison, language, labels)
    fig.savefig(path, format="png", dpi=120)
    plt.close(fig)


def html_page(
    comparison: Comparison, language: str, labels: Mapping[str, str] | None = None
) -> str:
    """A standalone report: the summary table, the charts and every breakdown."""
    _ = translator(language)
    e = html_escape.escape
    name = pick(comparison.reform, language)
    rows = "".join(
        f"<tr><th scope='row'>{e(a)}</th><td>{e(b)}</td><td>{e(c)}</td></tr>"
        for a, b, c in _rows(comparison, language)
    )
    sections = []
    for dimension, groups in comparison.breakdowns.items():
        body = "".join(
            f"<tr><th scope='row'>{e((labels or {}).get(k, k))}</th>"
            f"<td>{_count(g.base_beneficiaries)}</td><td>{_count(g.reform_beneficiaries)}</td>"
            f"<td>{_count(g.winners)}</td><td>{_count(g.losers)}</td>"
            f"<td>{_money(g.cost_change)}</td></tr>"
            for k, g in groups.items()
        )
        sections.append(
            f"<h2>{e(_(DIMENSION_LABELS.get(dimension, dimension)))}</h2><table><thead><tr>"
            f"<th scope='col'></th><th scope='col'>{e(_('Today'))}</th>"
            f"<th scope='col'>{e(_('Reform'))}</th><th scope='col'>{e(_('Winners'))}</th>"
            f"<th scope='col'>{e(_('Losers'))}</th><th scope='col'>{e(_('Change in cost'))}"
            f"</th></tr></thead><tbody>{body}</tbody></table>"
        )
    lang = "zh-Hans" if language.startswith("zh") else "en"
    return f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{e(name)}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem}}
table{{border-collapse:collapse;margin:1rem 0}}td,th{{border:1px solid #aaa;padding:.3rem .6rem;
text-align:right}}th[scope=row]{{text-align:left}}svg{{max-width:100%;height:auto}}</style>
</head><body><h1>{e(name)}</h1>
<p>{e(comparison.service)} · {e(comparison.on.isoformat())} · {e(_("population"))}
{_count(comparison.total.people)}</p>
<table><thead><tr><th scope="col"></th><th scope="col">{e(_("Today"))}</th>
<th scope="col">{e(_("Reform"))}</th></tr></thead><tbody>{rows}</tbody></table>
<figure>{svg(comparison, language, labels)}</figure>
{"".join(sections)}
</body></html>
"""
