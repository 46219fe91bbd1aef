"""Checkpoints (community gates, building lobbies), their guards and registered phones."""
