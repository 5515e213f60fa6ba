"""reportlens spaCy components, one module each; importing this package registers their factories.

- ``reportlens_figures`` (:mod:`pipeline.components.figures`, measures in :mod:`pipeline.components.measures`): statistics as spans with their reading.
"""
from ..nlp import import_spacy

import_spacy()  # spaCy without torch (see nlp.import_spacy), before the components import its types

from . import figures  # noqa: E402,F401  (registers the "reportlens_figures" factory)
