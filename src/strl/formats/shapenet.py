"""ShapeNet as shipped for STRL pre-training: ``shapenet57448xyzonly.npz`` with key ``data``.

``data`` is ``(shapes, points, 3)`` float32 (57,448 x 2,048 in the real file, about 1.4 GB).
When the member is stored uncompressed (``np.savez``) it is memory-mapped, so nothing is
loaded up front; a compressed member (``np.savez_compressed``) has to be decompressed whole.
"""

from __future__ import annotations

import os
import struct
import warnings
import zipfile
import zlib

import numpy as np

from strl.errors import DataError
from strl.formats.io_utils import check_index, cloud_copy, require_file

KEY = "data"


def _member_offset(f, info: zipfile.ZipInfo) -> int:
    """Byte offset of a stored member's data: after its local header, name and extra field."""
    f.seek(info.header_offset)
    header = f.read(30)
    if len(header) != 30 or header[:4] != b"PK\x03\x04":
        raise ValueError("bad local header")
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    return info.header_offset + 30 + name_len + extra_len


def _memmap_npy_member(path, info: zipfile.ZipInfo) -> np.ndarray:
    """Read-only memmap of an uncompressed ``.npy`` member of a zip file."""
    with open(path, "rb") as f:
        f.seek(_member_offset(f, info))
        version = np.lib.format.read_magic(f)
        read_header = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
        if version not in read_header:
            raise ValueError(f"unsupported .npy version {version}")
        shape, fortran, dtype = read_header[version](f)
        offset = f.tell()
    if dtype.hasobject:
        raise ValueError("array holds Python objects")
    return np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=shape, order="F" if fortran else "C")


class ShapeNetNPZ:
    """All shapes of ``shapenet57448xyzonly.npz``; unlabelled (``labels``/``class_names`` None).

    ``self[i]`` is shape ``i`` as an ``(N, 3)`` float32 copy, checked for NaN/inf on access.
    ``memory_mapped`` says whether the file is read lazily.
    """

    labels = None
    class_names = None

    def __init__(self, path: str | os.PathLike):
        self.path = require_file(path, "ShapeNet npz file")
        try:
            with zipfile.ZipFile(self.path) as z:
                names = z.namelist()
                if f"{KEY}.npy" not in names:
                    keys = [n[:-4] if n.endswith(".npy") else n for n in names]
                    raise DataError(self.path, f"has no key {KEY!r}; keys present: {keys}")
                info = z.getinfo(f"{KEY}.npy")
        except (zipfile.BadZipFile, OSError) as e:
            raise DataError(self.path, f"not an .npz (zip) file, or truncated ({e})") from None
        self.memory_mapped = info.compress_type == zipfile.ZIP_STORED
        try:
            if self.memory_mapped:
                self.data = _memmap_npy_member(self.path, info)
            else:
                warnings.warn(f"{self.path}: {KEY!r} is compressed, so it is loaded whole into memory "
                              f"({info.file_size / 2**30:.1f} GiB); save it with np.savez to memory-map it")
                with np.load(self.path, allow_pickle=False) as npz:
                    self.data = npz[KEY]
                    self.data.flags.writeable = False
        except (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error) as e:
            raise DataError(self.path, f"cannot read {KEY!r}: truncated or corrupt ({e})") from None
        if self.data.ndim != 3 or self.data.shape[2] < 3:
            raise DataError(self.path, f"{KEY!r} has shape {self.data.shape}, expected (shapes, points, 3)")
        if self.data.dtype.kind not in "fiu":
            raise DataError(self.path, f"{KEY!r} has dtype {self.data.dtype}, expected float32")
        if self.data.shape[0] == 0 or self.data.shape[1] == 0:
            raise DataError(self.path, f"{KEY!r} has shape {self.data.shape}: no shapes or no points")

    def __len__(self) -> int:
        return int(self.data.shape[0])

    def __getitem__(self, i: int) -> np.ndarray:
        """Shape ``i`` as ``(N, 3)`` float32."""
        i = check_index(i, len(self))
        return cloud_copy(self.data[i], self.path, f"{KEY}[{i}]")
