"""Finding rows that repeat within a file, in flat memory.

Each good row's `unique_by` values are hashed to 64 bits as the batch is checked. The (hash, row)
pairs are held until there are `SPILL_PAIRS` of them, then spilled to temporary files in 16
buckets by the hash's top bits (a file of fewer rows never touches the disk); at the end each
bucket is read alone to find repeated hashes. Memory is one bucket's pairs (1/16 of the file's
rows × 16 bytes) or the pairs held, never the file. Two different rows share a 64-bit hash with
probability about n²/2⁶⁵: 6 in a million for a 15 M-row file, and such a file would be refused
(never loaded wrongly) with rows named that the reader can compare.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import polars as pl

BUCKETS = 16
SPILL_PAIRS = 500_000  # (hash, row) pairs held before they are written out: 8 MB


class DuplicateFinder:
    def __init__(self):
        self.folder = Path(tempfile.mkdtemp(prefix="consortia-dups-"))
        self.held: list[pl.DataFrame] = []
        self.held_pairs = 0
        self.spills = 0

    def add(self, rows: pl.Series, hashes: pl.Series) -> None:
        if not len(hashes):
            return
        self.held.append(pl.DataFrame({"h": hashes, "row": rows}))
        self.held_pairs += len(hashes)
        if self.held_pairs >= SPILL_PAIRS:
            self._spill()

    def _spill(self) -> None:
        """Write the pairs held, one file per bucket (a few large files, not 16 per batch)."""
        frame = pl.concat(self.held).with_columns(
            (pl.col("h") // (1 << 60)).cast(pl.UInt8).alias("bucket")
        )
        self.held, self.held_pairs = [], 0
        for (bucket,), part in frame.partition_by("bucket", as_dict=True).items():
            part.drop("bucket").write_ipc(self.folder / f"{bucket:02d}-{self.spills:06d}.arrow")
        self.spills += 1

    def _groups(self):
        """The pairs, a bucket at a time (or all at once if they were never spilled)."""
        if not self.spills:
            if self.held:
                yield pl.concat(self.held)
            return
        if self.held:
            self._spill()
        for bucket in range(BUCKETS):
            files = sorted(self.folder.glob(f"{bucket:02d}-*.arrow"))
            if files:
                yield pl.concat([pl.read_ipc(f) for f in files])

    def duplicates(self) -> tuple[int, list[tuple[int, int]]]:
        """(how many rows repeat an earlier one, [(row, first row)] for the first 1000 in row
        order)."""
        count, found = 0, []
        for pairs in self._groups():
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
