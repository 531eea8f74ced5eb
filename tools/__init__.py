"""Generators of reviewed files (README rule tables, the compiled knowledge); not shipped."""
