"""The summary's TF-IDF must be scikit-learn's (the library it replaces to save an import)."""
from __future__ import annotations

import numpy as np
import pytest

from pipeline.tfidf import english_stop_words, tfidf_rows

ENGLISH = [
    "First, strengthen the leadership of party building in non-public enterprises.",
    "The county built 12 demonstration sites in 2001, up 5% from 2000.",
    "We recommend that the Secretary of Defense direct the Army to train its cadres; train, train.",
    "and the of",  # nothing but stop words
    "",
    "Party building in enterprises: leadership, sites and training of cadres in every county.",
]
CHINESE = ["一是加强党的领导，二是建设示范点。", "全省 建成 示范点 1200 个", "加强领导", "。"]


def sklearn_rows(texts, language):
    from sklearn.feature_extraction.text import TfidfVectorizer

    if language == "zh":
        vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(2, 2), sublinear_tf=True)
    else:
        vectorizer = TfidfVectorizer(stop_words="english", sublinear_tf=True, ngram_range=(1, 2))
    return vectorizer.fit_transform(texts)


@pytest.mark.parametrize("texts, language", [(ENGLISH, "en"), (CHINESE, "zh")])
def test_rows_give_the_cosines_of_scikit_learn(texts, language):
    ours = tfidf_rows(texts, language)
    theirs = sklearn_rows(texts, language)
    assert ours.shape[0] == len(texts) and ours.dtype == np.float32
    assert np.allclose((ours @ ours.T).toarray(), (theirs @ theirs.T).toarray(), atol=1e-6)
    assert sorted(np.round(ours.data, 5)) == pytest.approx(sorted(np.round(theirs.data, 5)), abs=1e-5)


def test_the_stop_words_are_scikit_learns():
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    assert english_stop_words() == frozenset(ENGLISH_STOP_WORDS)


def test_texts_without_terms_give_zero_rows():
    rows = tfidf_rows(["the and of", "", "a"], "en")
    assert rows.shape[0] == 3 and rows.nnz == 0
    assert tfidf_rows([], "en").shape[0] == 0


def test_the_summary_does_not_import_scikit_learn():
    import subprocess
    import sys

    code = ("import sys; from pipeline.summarize import _tfidf; _tfidf(['one text here', 'another text'], 'en'); "
            "print('sklearn' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "False", done.stderr
