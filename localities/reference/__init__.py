"""Reference data finance refreshes from published files: list sizes and weighted populations."""
