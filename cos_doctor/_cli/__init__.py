"""What the ``cos-doctor`` command runs: check, demo and its scenarios, printed text."""
