"""Duplicate rows are found the same whether the (hash, row) pairs stay in memory or are spilled
to bucket files, across batches."""

from __future__ import annotations

import polars as pl
import pytest

from consortia.imports import duplicates
from consortia.imports.duplicates import DuplicateFinder


@pytest.mark.parametrize("spill_pairs", [1_000_000, 7, 1])
def test_repeats_are_found_with_their_first_row_however_the_pairs_are_held(
    monkeypatch, spill_pairs
):
    monkeypatch.setattr(duplicates, "SPILL_PAIRS", spill_pairs)
    # Rows 2..61; every fifth row repeats the hash of the row 10 before it (across batches too).
    hashes = {row: (row * 0x9E3779B97F4A7C15) % 2**64 for row in range(2, 62)}
    for row in range(12, 62, 5):
        hashes[row] = hashes[row - 10]
    rows = sorted(hashes)

    with DuplicateFinder() as finder:
        for start in range(0, len(rows), 13):
            batch = rows[start : start + 13]
            finder.add(
                pl.Series(batch, dtype=pl.Int64),
                pl.Series([hashes[r] for r in batch], dtype=pl.UInt64),
            )
        count, pairs = finder.duplicates()

    first = {}
    expected = []
    for row in rows:
        if hashes[row] in first:
            expected.append((row, first[hashes[row]]))
        else:
            first[hashes[row]] = row
    assert count == len(expected) == 10
    assert pairs == expected
