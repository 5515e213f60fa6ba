"""The NumPy query encoder must give MiniLM's vectors, so queries compare with cached item vectors."""
from __future__ import annotations

import numpy as np
import pytest

TEXTS = ["Build demonstration sites for party building work in every county",
         "SBA should seek statutory authority for direct access to tax data",
         "党建工作示范点", "x"]


@pytest.mark.slow
def test_numpy_encoder_matches_sentence_transformers():
    from pipeline.embed import MiniLMEmbedder
    from pipeline.encoder import NumpyMiniLM

    fast = NumpyMiniLM().embed(TEXTS)
    reference = MiniLMEmbedder().embed(TEXTS)
    assert fast.shape == reference.shape == (4, 384)
    assert np.all((fast * reference).sum(axis=1) > 0.9999)
    assert np.allclose(np.linalg.norm(fast, axis=1), 1.0, atol=1e-5)


def test_numpy_encoder_truncates_long_text_and_handles_empty():
    from pipeline.encoder import NumpyMiniLM

    vectors = NumpyMiniLM().embed(["word " * 2000, ""])
    assert vectors.shape == (2, 384) and np.isfinite(vectors).all()
    assert NumpyMiniLM().embed([]).shape == (0, 384)
