"""Readers of what users paste: the SDK's ``str(e)``, log lines, other SDKs' and tools' errors."""
