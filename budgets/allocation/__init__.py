"""Allocation: the weighted capitation model (a pure function), its parameters and runs."""
