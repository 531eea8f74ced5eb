"""The pipeline: records -> context -> match -> evidence -> Diagnosis, with no patching."""
