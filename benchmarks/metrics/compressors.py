"""General-purpose compressors as reference points: the test text's code length given the training text.

A compressor needs no training and no tuning, so its bits per character is a fixed point a model's
bpc can be held against. The conditional code length of ``test`` given ``train`` is

    bpc = (len(C(train + test)) − len(C(train))) · 8 / len(test)

with ``C`` one compressor at fixed settings, ``train + test`` the two texts' UTF-8 bytes joined
with nothing between them, lengths in bytes and ``len(test)`` in characters (the unit every model's
bpc divides by). Headers, end marks and checksums appear in both terms and cancel.

The compressors and their settings (:data:`COMPRESSORS`):

* ``xz`` — LZMA2, preset 9 extreme, a dictionary of the next power of two ≥ the bytes of
  ``train + test`` (so every training byte is within reach);
* ``bz2`` — level 9: 900 kB blocks, so only the training text in the test's block is context;
* ``zstd`` — level 19 with long-distance matching and a window (2^window_log) ≥ ``train + test``;
* ``ppmd`` — PPMd variant I (pyppmd), order 8, 256 MiB of model memory: a context-mixing text
  compressor, the classic strong baseline for text.

A compressor adapts to the test text as it reads it (it learns a play's names on the way); a
trained model scored on the test text does not. The neural analogue is dynamic evaluation
(Krause et al. 2018).
"""

from __future__ import annotations

import bz2
import lzma
import platform
from collections.abc import Callable
from dataclasses import dataclass

import pyppmd
import zstandard

PPMD_ORDER = 8  # model order: 8 beat 6 and 10 on the shakespeare split (1.868 against 1.880 and 1.870 bpc)
PPMD_MEMORY = 256 << 20  # bytes of model memory: the whole shakespeare split fits without a restart
ZSTD_LEVEL = 19  # zstd's strongest regular level
XZ_PRESET = 9 | lzma.PRESET_EXTREME  # xz's strongest preset
BZ2_LEVEL = 9  # 900 kB blocks, bz2's largest


def covering_power_of_two(size: int, smallest: int) -> int:
    """The exponent of the smallest power of two ≥ ``size`` and ≥ 2**``smallest``."""
    return max(smallest, (max(size, 1) - 1).bit_length())


def xz(data: bytes) -> bytes:
    dictionary = 1 << covering_power_of_two(len(data), 12)  # liblzma's minimum is 4 KiB
    filters = [{"id": lzma.FILTER_LZMA2, "preset": XZ_PRESET, "dict_size": dictionary}]
    return lzma.compress(data, format=lzma.FORMAT_XZ, filters=filters)


def bzip2(data: bytes) -> bytes:
    return bz2.compress(data, BZ2_LEVEL)


def zstd(data: bytes) -> bytes:
    window = covering_power_of_two(len(data), zstandard.WINDOWLOG_MIN)
    parameters = zstandard.ZstdCompressionParameters.from_level(
        ZSTD_LEVEL, window_log=min(window, zstandard.WINDOWLOG_MAX), enable_ldm=True
    )
    return zstandard.ZstdCompressor(compression_params=parameters).compress(data)


def ppmd(data: bytes) -> bytes:
    return pyppmd.compress(data, max_order=PPMD_ORDER, mem_size=PPMD_MEMORY, variant="I")


@dataclass(frozen=True)
class Compressor:
    name: str  # the reference row's name
    method: str  # the settings, in words, for the report
    compress: Callable[[bytes], bytes]
    library: str  # the library and its version


COMPRESSORS = (
    Compressor(
        "xz",
        "LZMA2 (xz), preset 9 extreme, dictionary the next power of two ≥ train + test",
        xz,
        f"lzma (Python {platform.python_version()} standard library)",
    ),
    Compressor(
        "bz2",
        "bzip2, level 9 (900 kB blocks: little of the training text is context)",
        bzip2,
        f"bz2 (Python {platform.python_version()} standard library)",
    ),
    Compressor(
        "zstd",
        f"zstd level {ZSTD_LEVEL}, long-distance matching, window the next power of two ≥ train + test",
        zstd,
        f"zstandard {zstandard.__version__} (libzstd {'.'.join(map(str, zstandard.ZSTD_VERSION))})",
    ),
    Compressor(
        "ppmd",
        f"PPMd variant I, order {PPMD_ORDER}, {PPMD_MEMORY >> 20} MiB",
        ppmd,
        f"pyppmd {pyppmd.__version__}",
    ),
)


def conditional_code_bits(compress: Callable[[bytes], bytes], train: str, test: str) -> int:
    """Bits ``compress`` spends on ``test`` after ``train``: (len(C(train + test)) − len(C(train))) · 8."""
    context = train.encode("utf-8")
    return (len(compress(context + test.encode("utf-8"))) - len(compress(context))) * 8


def conditional_bpc(compress: Callable[[bytes], bytes], train: str, test: str) -> float:
    """Bits per character of ``test`` given ``train`` (see the module docstring)."""
    if not test:
        raise ValueError("conditional_bpc needs a non-empty test text")
    return conditional_code_bits(compress, train, test) / len(test)
