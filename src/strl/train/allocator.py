"""Keep freed tensor memory in the process, so CPU training steps do not page-fault it in again.

glibc serves large allocations (over 32 MB at most) with ``mmap`` and returns them to the system
when freed: every step then touches fresh pages for its activations, one page fault per 4 KiB,
which makes the memory-bound parts of a CPU step (BatchNorm, ReLU, copies) several times slower.
:func:`keep_freed_memory` tells glibc to serve them from the heap and to keep what is freed for
reuse (the resident size then stays at the peak). Set ``STRL_KEEP_FREED_MEMORY=0`` to leave the
allocator as it is; elsewhere than glibc it does nothing.
"""

from __future__ import annotations

import ctypes
import os
import sys

ENV_VAR = "STRL_KEEP_FREED_MEMORY"
_M_TRIM_THRESHOLD = -1
_M_MMAP_MAX = -4
_KEEP_BYTES = 2**31 - 1  # the largest trim threshold mallopt takes (an int)


def keep_freed_memory() -> bool:
    """Configure glibc's ``malloc`` as described above; True if it took effect."""
    if os.environ.get(ENV_VAR, "1") == "0" or not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):  # not glibc
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    return mallopt(_M_MMAP_MAX, 0) == 1 and mallopt(_M_TRIM_THRESHOLD, _KEEP_BYTES) == 1
