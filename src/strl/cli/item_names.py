"""How ``strl data preview`` names an item in a panel title: its file, its class, its sequence."""

from __future__ import annotations

from pathlib import Path


def item_name(data, i: int) -> str:
    """The file (or room) name of cloud ``i`` of a CloudSet, else ``#i``."""
    for attr in ("files", "rooms"):
        seq = getattr(data, attr, None)
        if seq is not None:
            return Path(str(seq[i])).name
    return f"#{i}"


def class_suffix(data, i: int) -> str:
    """``" (chair)"`` (or ``" (label 3)"``) for item ``i`` of labelled data; ``""`` without labels."""
    labels, names = getattr(data, "labels", None), getattr(data, "class_names", None)
    if labels is None:
        return ""
    k = int(labels[i])
    return f" ({names[k]})" if names is not None and k < len(names) else f" (label {k})"


def sequence_name(seqs, s: int) -> str:
    """Sequence ``s`` of a SequenceSet: the cloud it wraps, its folder, or its name, with its class."""
    from strl.formats.base import CloudsAsSequences

    if isinstance(seqs, CloudsAsSequences):
        return f"{item_name(seqs.clouds, s)}{class_suffix(seqs.clouds, s)}"
    if getattr(seqs, "folders", None) is not None:  # a user folder: one sequence per sub-folder
        return str(seqs.folders[s]) if str(seqs.folders[s]) != "." else "(top folder)"
    names = getattr(seqs, "names", None)
    return (names[s] if names else f"sequence {s}") + class_suffix(seqs, s)
