"""cos_doctor's performance benchmarks; ``python benchmarks/run.py`` runs them (README.md)."""
