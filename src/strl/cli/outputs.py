"""Writing a command's results so that they are never lost to a bad output path."""

from __future__ import annotations

import json
import os
import sys
import tempfile


def write_json_result(result: dict, path: str) -> str:
    """Write ``result`` as JSON to ``path``; if that fails, write it to a temporary file instead and
    say so on stderr (the results are already computed). Returns the path written."""
    text = json.dumps(result, indent=2)
    try:
        with open(path, "w") as f:
            f.write(text)
        return path
    except OSError as exc:
        fd, fallback = tempfile.mkstemp(prefix="strl-result-", suffix=".json")
        with os.fdopen(fd, "w") as f:
            f.write(text)
        print(f"could not write {path} ({exc.strerror or exc}); the result is in {fallback}", file=sys.stderr)
        return fallback
