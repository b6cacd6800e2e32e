"""briefing: a terminal briefing reader for one fast-moving story."""

__version__ = "0.1.0"
