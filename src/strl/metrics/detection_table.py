"""Per-class detection scores as a printed table (``strl score detect``, ``strl finetune detect``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def _cell(value) -> str:
    return "n/a" if value is None or value != value else f"{100 * value:.1f}"


def format_ap_table(columns: Mapping[str, Mapping[str, float | None]], classes: Sequence[str],
                    means: Mapping[str, float | None] | None = None) -> str:
    """One row per class, one column per entry of ``columns`` (``{header: {class: fraction}}``),
    values as percentages (``n/a`` for None, NaN or a class the column lacks); ``means`` adds a
    last row ``mean`` (``{header: fraction}``)."""
    width = max([len("mean"), *(len(c) for c in classes)])
    heads = list(columns)
    cells = [max(len(h), 6) for h in heads]
    lines = [f"  {'class':<{width}}  " + "  ".join(f"{h:>{w}}" for h, w in zip(heads, cells))]
    for name in classes:
        lines.append(f"  {name:<{width}}  " + "  ".join(f"{_cell(columns[h].get(name)):>{w}}" for h, w in zip(heads, cells)))
    if means is not None:
        lines.append(f"  {'mean':<{width}}  " + "  ".join(f"{_cell(means.get(h)):>{w}}" for h, w in zip(heads, cells)))
    return "\n".join(lines)
