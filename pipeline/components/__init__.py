"""reportlens spaCy components, one module each; importing this package registers their factories.

- ``reportlens_figures`` (:mod:`pipeline.components.figures`, measures in :mod:`pipeline.components.measures`): statistics as spans with their reading.
"""
from . import figures  # noqa: F401  (registers the "reportlens_figures" factory)
