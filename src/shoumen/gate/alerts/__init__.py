"""Fever alerts raised at the gate and their follow-up by the community."""
