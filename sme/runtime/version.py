"""The tool's version, recorded in exports and study metadata."""

__version__ = "0.1.0"
