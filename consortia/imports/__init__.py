"""One import pipeline for every file the product accepts.

A kind of file declares a `Layout` (its columns, their types, the rules across columns, how a
row is derived and where it is loaded); this package does the rest the same way for every kind:
the upload record and its duplicate and revision rules, reading CSV and XLSX in batches within
size and time limits, checking every row with vectorised expressions (errors by row and column),
finding duplicate rows, progress, all-or-nothing loading, and what is kept of the file.
"""
