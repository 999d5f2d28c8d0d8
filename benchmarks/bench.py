"""Speed benchmark of strl against the original STRL code paths; same options as ``strl bench``.

    python benchmarks/bench.py --preset dgcnn-cls --batch-size 8 --threads 2 --json dgcnn.json
"""

from __future__ import annotations

import argparse
import sys

from strl.cli import bench


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=bench.__doc__)
    bench.add_arguments(parser)
    return bench.run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
