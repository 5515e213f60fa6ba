"""The NumPy encoder must give sentence-transformers' MiniLM vectors: queries and items are compared with
vectors cached in the store, whichever path encoded them."""
from __future__ import annotations

import numpy as np
import pytest

TEXTS = ["Build demonstration sites for party building work in every county",
         "SBA should seek statutory authority for direct access to tax data",
         "党建工作示范点", "x"]

# Lengths from one word piece to past the 256-piece cut, so batches mix padding with full rows.
VARIED = TEXTS + [
    "The agency reported 5,162 filing season staff left within the year, up 12 percent from 2022. " * k
    for k in (1, 2, 5, 30)
] + ["First, strengthen the leadership of party building in non-public enterprises.",
     "Second, build service centres; third, train cadres."]


@pytest.mark.slow
def test_numpy_encoder_matches_sentence_transformers():
    from pipeline.embed import TorchMiniLM
    from pipeline.encoder import NumpyMiniLM

    fast = NumpyMiniLM().embed(VARIED)
    reference = TorchMiniLM().embed(VARIED)
    assert fast.shape == reference.shape == (len(VARIED), 384)
    assert np.all((fast * reference).sum(axis=1) > 0.9999)
    assert np.allclose(np.linalg.norm(fast, axis=1), 1.0, atol=1e-5)


def test_a_text_gets_the_same_vector_alone_and_in_a_padded_batch():
    from pipeline.encoder import encode, encode_one

    batched = encode(VARIED, batch_size=4)
    for i in (0, 3, 5, 9):
        assert float(batched[i] @ encode_one(VARIED[i])) > 0.99999


def test_duplicates_and_order_do_not_change_vectors():
    from pipeline.encoder import NumpyMiniLM

    encoder = NumpyMiniLM()
    forward = encoder.embed(VARIED)
    backward = encoder.embed(VARIED[::-1] + VARIED[:2])
    assert np.array_equal(forward, backward[: len(VARIED)][::-1])
    assert np.array_equal(backward[-2:], forward[:2])


def test_the_default_minilm_embedder_does_not_import_torch():
    import subprocess
    import sys

    code = ("import sys; from pipeline.embed import default_embedder; "
            "v = default_embedder().embed(['one sentence']); "
            "print(v.shape, 'torch' in sys.modules, 'sentence_transformers' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**__import__("os").environ, "REPORTLENS_EMBEDDER": ""})
    assert done.stdout.split() == ["(1,", "384)", "False", "False"], done.stderr


def test_numpy_encoder_truncates_long_text_and_handles_empty():
    from pipeline.encoder import NumpyMiniLM

    vectors = NumpyMiniLM().embed(["word " * 2000, ""])
    assert vectors.shape == (2, 384) and np.isfinite(vectors).all()
    assert NumpyMiniLM().embed([]).shape == (0, 384)


def test_the_spacy_pipelines_load_without_torch_and_torch_stays_importable():
    import subprocess
    import sys

    code = ("import sys; from pipeline.nlp import statistical; import pipeline.components; "
            "doc = statistical()('Zhejiang invested 670 billion yuan in 2001.'); "
            "print([e.label_ for e in doc.ents], 'torch' in sys.modules); "
            "import torch; print(torch.tensor([1.0]).shape)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    lines = done.stdout.splitlines()
    assert lines[0] == "['GPE', 'MONEY', 'DATE'] False", done.stderr
    assert lines[1] == "torch.Size([1])", done.stderr
