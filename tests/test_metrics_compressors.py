"""Compressor reference rows: the conditional code length against direct computations."""

from __future__ import annotations

import bz2
import lzma

import pyppmd
import pytest
import zstandard

from benchmarks.metrics import compressors
from benchmarks.metrics.compressors import COMPRESSORS, conditional_bpc, conditional_code_bits
from generators.testing.texts import make_text

TRAIN, TEST = make_text(20_000, seed=0), make_text(3_000, seed=1) + " café ☃\n"


def test_identity_compressor_charges_the_utf8_bits_of_the_test_text():
    # C(x) = x: C(train + test) − C(train) is the test's bytes; 'é' is 2 bytes, '☃' 3
    assert conditional_code_bits(lambda data: data, "abc", "xé☃") == (1 + 2 + 3) * 8
    assert conditional_bpc(lambda data: data, "abc", "xé☃") == 48 / 3


@pytest.mark.parametrize("compressor", COMPRESSORS, ids=lambda c: c.name)
def test_conditional_code_length_is_the_difference_of_two_compressed_lengths(compressor):
    joined = compressor.compress((TRAIN + TEST).encode())
    alone = compressor.compress(TRAIN.encode())
    assert conditional_bpc(compressor.compress, TRAIN, TEST) == (len(joined) - len(alone)) * 8 / len(TEST)


def test_each_compressor_is_the_library_call_it_names():
    data = (TRAIN + TEST).encode()
    dictionary = 1 << 15  # 23,0xx bytes: the next power of two
    xz = lzma.compress(
        data,
        format=lzma.FORMAT_XZ,
        filters=[{"id": lzma.FILTER_LZMA2, "preset": 9 | lzma.PRESET_EXTREME, "dict_size": dictionary}],
    )
    assert compressors.xz(data) == xz
    assert compressors.bzip2(data) == bz2.compress(data, 9)
    assert compressors.ppmd(data) == pyppmd.compress(data, max_order=8, mem_size=256 << 20, variant="I")
    zstd = zstandard.ZstdCompressor(
        compression_params=zstandard.ZstdCompressionParameters.from_level(19, window_log=15, enable_ldm=True)
    ).compress(data)
    assert compressors.zstd(data) == zstd
    assert pyppmd.decompress(compressors.ppmd(data), max_order=8, mem_size=256 << 20) == data


def test_window_covers_train_and_test():
    assert compressors.covering_power_of_two(23_000, 12) == 15
    assert compressors.covering_power_of_two(1 << 15, 12) == 15
    assert compressors.covering_power_of_two(100, 12) == 12


@pytest.mark.parametrize("compressor", COMPRESSORS, ids=lambda c: c.name)
def test_the_training_text_is_context(compressor):
    """A test text the training text holds costs far less given it than alone."""
    seen = TRAIN[5_000:8_000]
    given = conditional_bpc(compressor.compress, TRAIN, seen)
    alone = conditional_bpc(compressor.compress, "", seen)
    assert given < 0.5 * alone


def test_an_empty_test_text_is_refused():
    with pytest.raises(ValueError, match="non-empty"):
        conditional_bpc(compressors.xz, TRAIN, "")
