"""newsarchive: a versioned, evidence-grade archive of government news columns."""

__version__ = "0.1.0"
