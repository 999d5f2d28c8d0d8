"""The report of ``strl data check`` (a dict, see :func:`strl.cli.data_check.check_dataset`) as text lines."""

from __future__ import annotations

MAX_PRINTED_PROBLEMS = 100
MAX_PRINTED_WARNINGS = 20


def _fmt_xyz(values) -> str:
    return "(" + ", ".join(f"{v:.3f}" for v in values) + ")"


def plural(n: int, noun: str) -> str:
    """``"1 frame"``, ``"2 frames"``."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _wrap(items: list[str], first: str, width: int = 100) -> list[str]:
    """``items`` joined by commas into lines of at most ``width``; the first starts with ``first``."""
    indent = " " * (len(first) - len(first.lstrip())) + "  " if first.strip() else first
    lines, line = [], first
    for item in items:
        if len(line) + len(item) + 2 > width and line.strip() and line != first:
            lines.append(line.rstrip(", "))
            line = indent
        line += item + ", "
    if line.strip():
        lines.append(line.rstrip(", "))
    return lines


def format_report(report: dict) -> list[str]:
    """The report as human-readable lines."""
    out = [f"format {report['format']}: {report['description']}"]
    for name, part in report["parts"].items():
        out += _part_lines(name, part)
    out += [f"note: {note}" for note in report["notes"]]
    return out + _warning_lines(report["warnings"]) + _problem_lines(report["problems"])


def _part_lines(name: str, part: dict) -> list[str]:
    """What one part (split) holds: counts, items read, points, ranges, reader counters, classes."""
    what = "clouds" if part["kind"] == "clouds" else "frames"
    if part["kind"] == "sequences":
        fps = part["frames_per_sequence"]
        out = [f"{name}: {plural(part['sequences'], 'sequence')}, {plural(part['frames'], 'frame')} "
               f"(per sequence min {fps['min']} / mean {fps['mean']:.1f} / max {fps['max']})"]
        if part["sequence_names"]:
            shown = part["sequence_names"][:8]
            more = len(part["sequence_names"]) - len(shown)
            out.append(f"  sequences: {', '.join(shown)}{f', ... ({more} more)' if more > 0 else ''}")
    else:
        out = [f"{name}: {plural(part['items'], 'cloud')}"]
    checked = part["items_checked"]
    spaced = " (evenly spaced)" if checked < part["items"] else ""
    failed = f", {part['items_failed']} failed" if part["items_failed"] else ""
    out.append(f"  read {checked} of {part['items']} {what}{spaced}{failed}")
    if part["points"]:
        p = part["points"]
        out.append(f"  points per {what[:-1]}: min {p['min']} / mean {p['mean']:.1f} / max {p['max']}")
        out.append(f"  xyz min {_fmt_xyz(part['xyz_min'])}  max {_fmt_xyz(part['xyz_max'])}")
    if part.get("origin_min"):
        out.append(f"  sensor origins min {_fmt_xyz(part['origin_min'])}  max {_fmt_xyz(part['origin_max'])}")
    if part.get("reader_stats"):
        out += _wrap([f"{k.replace('_', ' ')} {v}" for k, v in part["reader_stats"].items()], "  reader: ")
    classes = part.get("classes")
    if classes and classes["label_range"]:
        present = [c for c in classes["classes"] if c["count"]]
        total = classes["num_classes"] or len(classes["classes"])
        lo, hi = classes["label_range"]
        out.append(f"  labels {lo}..{hi}; {len(present)} of {total} classes present:")
        out += _wrap([f"{c['name']} {c['count']}" for c in present], "    ")
    out += [f"  {line}" for line in part.get("files", {}).get("lines", [])]
    if "point_label_range" in part:
        lo, hi = part["point_label_range"]
        out.append(f"  per-point labels {lo}..{hi}")
    return out


def _warning_lines(w: dict) -> list[str]:
    if not w["count"]:
        return ["warnings: none"]
    cats = ", ".join(f"{c} {k}" for c, k in w["by_category"].items())
    out = [f"warnings: {w['count']} ({cats})"]
    for m in w["messages"][:MAX_PRINTED_WARNINGS]:
        out.append(f"  [{m['category']}] {m['message']}" + (f" (x{m['times']})" if m["times"] > 1 else ""))
    if len(w["messages"]) > MAX_PRINTED_WARNINGS:
        out.append(f"  ... {len(w['messages']) - MAX_PRINTED_WARNINGS} more distinct warnings")
    return out


def _problem_lines(problems: list[str]) -> list[str]:
    if not problems:
        return ["problems: none", "result: usable"]
    out = [f"problems: {len(problems)}"] + [f"  {p}" for p in problems[:MAX_PRINTED_PROBLEMS]]
    if len(problems) > MAX_PRINTED_PROBLEMS:
        out.append(f"  ... {len(problems) - MAX_PRINTED_PROBLEMS} more (all of them are in --json)")
    return out + ["result: NOT usable: training would stop on these problems"]
