"""3D object detectors: one sub-package per detector (``strl.detection.pointpillars``)."""
