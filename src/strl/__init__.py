"""strl: spatio-temporal self-supervised representation learning for 3D point clouds."""

__version__ = "0.1.0"
