"""``shoumen demo-data``: the command lives with the demo data it builds (core.demo.command)."""

from shoumen.core.demo.command import Command

__all__ = ["Command"]
