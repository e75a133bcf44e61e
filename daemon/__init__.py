"""anupalan: runs a government office's compliance-return drives over email."""

__version__ = "0.1.0"
