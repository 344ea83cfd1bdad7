"""Finding rows that repeat within a file, in flat memory.

Each good row's `unique_by` values are hashed to 64 bits as the batch is checked; the
(hash, row) pairs are spilled to temporary files in 16 buckets by the hash's top bits, and at the
end each bucket is read alone to find repeated hashes. Memory is one bucket's pairs (1/16 of the
file's rows × 16 bytes), never the file. Two different rows share a 64-bit hash with probability
about n²/2⁶⁵: 6 in a million for a 15 M-row file, and such a file would be refused (never loaded
wrongly) with rows named that the reader can compare.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import polars as pl

BUCKETS = 16


class DuplicateFinder:
    def __init__(self):
        self.folder = Path(tempfile.mkdtemp(prefix="consortia-dups-"))
        self.batches = 0

    def add(self, rows: pl.Series, hashes: pl.Series) -> None:
        if not len(hashes):
            return
        frame = pl.DataFrame({"h": hashes, "row": rows}).with_columns(
            (pl.col("h") // (1 << 60)).cast(pl.UInt8).alias("bucket")
        )
        for (bucket,), part in frame.partition_by("bucket", as_dict=True).items():
            part.drop("bucket").write_ipc(self.folder / f"{bucket:02d}-{self.batches:06d}.arrow")
        self.batches += 1

    def duplicates(self) -> tuple[int, list[tuple[int, int]]]:
        """(how many rows repeat an earlier one, [(row, first row)] for the first 1000 in row
        order)."""
        count, found = 0, []
        for bucket in range(BUCKETS):
            files = sorted(self.folder.glob(f"{bucket:02d}-*.arrow"))
            if not files:
                continue
            pairs = pl.concat([pl.read_ipc(f) for f in files])
            repeated = (
                pairs.filter(pl.col("h").is_duplicated())
                .with_columns(pl.col("row").min().over("h").alias("first"))
                .filter(pl.col("row") != pl.col("first"))
            )
            count += repeated.height
            found += repeated.select("row", "first").sort("row").head(1000).rows()
        found.sort()
        return count, found[:1000]

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
