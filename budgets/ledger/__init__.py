"""The ledger: budget lines, accounts, balanced transactions of legs, commitments."""
