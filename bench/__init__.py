"""The benchmark of DESIGN.md section 9: `python -m bench.run` (or `make bench`)."""

__all__: list[str] = []
