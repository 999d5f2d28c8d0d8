"""Small in-memory sequences for training tests: blobs of a few shapes seen from drifting offsets."""

import numpy as np

from strl.formats.base import Frame


class ToySequences:
    def __init__(self, count=16, frames=3, points=256, seed=0):
        rng = np.random.default_rng(seed)
        self.data = []
        for s in range(count):
            base = rng.normal(size=(points, 3)).astype(np.float32) * np.array([1 + s % 3, 1, 0.5 + s % 2], np.float32)
            self.data.append([base + 0.05 * t for t in range(frames)])

    def __len__(self):
        return len(self.data)

    def num_frames(self, s):
        return len(self.data[s])

    def frame(self, s, t):
        return Frame(self.data[s][t])
