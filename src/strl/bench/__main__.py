"""``python -m strl.bench``: the speed benchmark (same options as ``strl bench``)."""

import argparse
import sys

from strl.cli import bench

parser = argparse.ArgumentParser(prog="python -m strl.bench", description=bench.__doc__)
bench.add_arguments(parser)
sys.exit(bench.run(parser.parse_args()))
