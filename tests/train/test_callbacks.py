"""The training plot: drawn off-screen without touching matplotlib's global backend."""

import matplotlib
from PIL import Image

from strl.train.callbacks import CurvePlot


def test_curve_plot_draws_without_switching_the_global_backend(tmp_path):
    before = matplotlib.get_backend()
    matplotlib.use("svg")  # what an application may have chosen
    try:
        plot = CurvePlot(str(tmp_path / "runs" / "training.png"))
        plot.history = {"epoch": [1, 2, 3], "loss": [2.0, 1.5, 1.2], "probe_epoch": [0, 3], "probe": [0.4, 0.7]}
        plot.draw()
        assert matplotlib.get_backend() == "svg"
        with Image.open(tmp_path / "runs" / "training.png") as image:
            assert image.format == "PNG" and image.size == (700, 400)
        assert not list((tmp_path / "runs").glob("*.tmp*"))
    finally:
        matplotlib.use(before)
