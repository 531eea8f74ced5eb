"""The knowledge base as code: loading and checking `knowledge/*.toml`, and its vocabulary."""
