"""Entries and refusals: a guard registers who passes a checkpoint (online, offline, in batches)."""
