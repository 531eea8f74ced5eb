"""The log: one event per failed call, storms folded, the SDK's own records redacted."""
