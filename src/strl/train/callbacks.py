"""Callbacks: a periodic representation probe, and a plot of loss and probe accuracy."""

from __future__ import annotations

import os

import lightning as L

from strl.evaluate.protocol import module_device, probe_accuracy


class ProbeCallback(L.Callback):
    """Before training (the initial random weights) and every ``every`` epochs (and after the
    last), score the online encoder with a quick probe (``knn`` or ``svm``) on labelled
    evaluation data; epoch-end scores are logged as ``probe/accuracy``."""

    def __init__(self, train_clouds, test_clouds, num_points: int, kind: str = "knn", every: int = 1):
        self.train_clouds, self.test_clouds = train_clouds, test_clouds
        self.num_points, self.kind, self.every = num_points, kind, max(1, every)
        self.last: tuple[int, float] | None = None  # (epoch, accuracy) of the latest probe

    def _score(self, trainer: L.Trainer, pl_module: L.LightningModule) -> float:
        if not trainer.is_global_zero:
            return float("nan")
        encoder = pl_module.encoder
        return probe_accuracy(encoder, self.train_clouds, self.test_clouds, self.num_points, self.kind, module_device(encoder))

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if trainer.global_step == 0:
            self.last = (0, self._score(trainer, pl_module))

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        epoch = trainer.current_epoch + 1
        if epoch % self.every and epoch != trainer.max_epochs:
            return
        acc = self._score(trainer, pl_module)
        self.last = (epoch, acc)
        pl_module.log("probe/accuracy", acc, rank_zero_only=True, on_epoch=True)


class CurvePlot(L.Callback):
    """Keeps the per-epoch training loss and probe accuracy and redraws ``training.png`` in the run
    folder after each epoch (its history is saved in checkpoints, so a resumed run continues it)."""

    def __init__(self, path: str, probe: ProbeCallback | None = None):
        self.path, self.probe = path, probe
        self.history: dict[str, list] = {"epoch": [], "loss": [], "probe_epoch": [], "probe": []}
        self._sum, self._count = 0.0, 0

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self.probe is not None and self.probe.last is not None and self.probe.last[0] == 0:
            self.history["probe_epoch"].append(0)
            self.history["probe"].append(self.probe.last[1])

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        self._sum += float(outputs["loss"])
        self._count += 1

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        epoch = trainer.current_epoch + 1
        if self._count:
            self.history["epoch"].append(epoch)
            self.history["loss"].append(self._sum / self._count)
        self._sum, self._count = 0.0, 0
        if self.probe is not None and self.probe.last is not None and self.probe.last[0] == epoch:
            self.history["probe_epoch"].append(epoch)
            self.history["probe"].append(self.probe.last[1])
        if trainer.is_global_zero:
            self.draw()

    def draw(self) -> None:
        """Write the plot (via a temporary file) with an Agg canvas of its own: matplotlib's global
        backend and pyplot's figures are left alone."""
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        fig = Figure(figsize=(7, 4))
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        ax.plot(self.history["epoch"], self.history["loss"], "o-", color="tab:blue", label="training loss")
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss", color="tab:blue")
        if self.history["probe"]:
            ax2 = ax.twinx()
            ax2.plot(self.history["probe_epoch"], [100 * a for a in self.history["probe"]], "s-", color="tab:red", label="probe accuracy")
            ax2.set_ylabel("probe accuracy (%)", color="tab:red")
        ax.set_title("pre-training: loss and representation probe")
        fig.tight_layout()
        os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
        tmp = self.path + ".tmp.png"
        fig.savefig(tmp, dpi=100)
        os.replace(tmp, self.path)

    def state_dict(self) -> dict:
        return {"history": self.history}

    def load_state_dict(self, state_dict: dict) -> None:
        self.history = state_dict["history"]
