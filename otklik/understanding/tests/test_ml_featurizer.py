"""The learned classifier's own featurizer: tokens, TF-IDF blocks equal to scikit-learn's, word
vectors, the per-word registry. Synthetic Russian texts written here (never real appeals)."""

from __future__ import annotations

import pickle
from itertools import pairwise

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from otklik.understanding import ml
from otklik.understanding.text import word_readings

TEXTS = [
    "Нет горячей воды в доме уже неделю",
    "Горячей воды нет, управляющая компания молчит",
    "Огромная яма на дороге у школы",
    "Яма на дороге, разбили колесо",
    "Мусор не вывозят, контейнеры переполнены",
    "Контейнеры переполнены, мусор во дворе",
    "Не вывозят мусор третий день, яма у контейнеров",
]


def docs(texts: list[str] = TEXTS) -> list[ml.Prepared]:
    return [ml.prepare(t) for t in texts]


def _dense_by_name(matrix, names: list[str]) -> dict[str, np.ndarray]:
    dense = matrix.toarray()
    return {name: dense[:, i] for i, name in enumerate(names)}


def test_tokens_drop_html_links_mentions_and_fold_yo() -> None:
    text = "<p>Всё ещё нет воды&nbsp;на ул. Северо-Западной, д.5</p> https://vk.com/wall-1_2 @admin"
    assert ml.tokens(text) == ("все", "еще", "нет", "воды", "на", "ул", "северо-западной", "д", "5")
    assert ml.tokens("") == ()


def test_lemma_block_equals_scikit_learn_tfidf_of_lemma_unigrams_and_bigrams() -> None:
    prepared = docs()
    featurizer = ml.Featurizer(char_ngrams=None, embeddings=False).fit(prepared)
    ours = featurizer.transform(prepared).blocks["lemmas"]

    def analyzer(doc: ml.Prepared) -> list[str]:
        lemmas = [word_readings(w)[0] for w in doc.words]
        return lemmas + [f"{a} {b}" for a, b in pairwise(lemmas)]

    reference = TfidfVectorizer(analyzer=analyzer, sublinear_tf=True, min_df=2)
    expected = _dense_by_name(reference.fit_transform(prepared), reference.get_feature_names_out().tolist())
    size = len(featurizer.lemma_ids)
    names = sorted(featurizer.lemma_ids, key=featurizer.lemma_ids.__getitem__)
    for code in featurizer.bigram_codes:
        names.append(f"{names[code // size]} {names[code % size]}")
    assert sorted(names) == sorted(expected)
    got = _dense_by_name(ours, names)
    for name in names:
        np.testing.assert_allclose(got[name], expected[name], rtol=1e-5, atol=1e-6)


def test_char_block_equals_scikit_learn_tfidf_of_the_same_ngrams() -> None:
    prepared = docs()
    featurizer = ml.Featurizer(char_ngrams=(3, 5), embeddings=False).fit(prepared)
    ours = featurizer.transform(prepared).blocks["chars"]
    reference = TfidfVectorizer(
        analyzer=lambda d: [g for w in d.words for g in ml.char_grams(w, 3, 5)], sublinear_tf=True, min_df=2
    )
    expected = _dense_by_name(reference.fit_transform(prepared), reference.get_feature_names_out().tolist())
    names = sorted(featurizer.char_ids, key=featurizer.char_ids.__getitem__)
    assert sorted(names) == sorted(expected)
    got = _dense_by_name(ours, names)
    for name in names:
        np.testing.assert_allclose(got[name], expected[name], rtol=1e-5, atol=1e-6)


def test_unseen_words_and_empty_texts_give_empty_rows() -> None:
    featurizer = ml.Featurizer(embeddings=False).fit(docs())
    features = featurizer.transform(docs(["", "Абракадабра кракозябра", TEXTS[0]]))
    assert features.rows == 3
    lemmas, chars = features.blocks["lemmas"], features.blocks["chars"]
    assert lemmas[0].nnz == chars[0].nnz == 0
    assert lemmas[1].nnz == 0 and lemmas[2].nnz > 0
    np.testing.assert_allclose(np.sqrt(lemmas[2].multiply(lemmas[2]).sum()), 1.0, rtol=1e-5)


def test_the_word_registry_gives_the_same_features_warm_cold_and_after_a_reset(monkeypatch) -> None:
    prepared = docs()
    featurizer = ml.Featurizer(embeddings=False).fit(prepared)
    cold = featurizer.transform(prepared)
    warm = featurizer.transform(prepared)
    # every batch with a new word starts a new registry
    monkeypatch.setattr(ml.features, "_WORD_CACHE_LIMIT", 5)
    featurizer.transform(docs(["Совсем другие слова здесь"]))
    reset = featurizer.transform(prepared)
    for other in (warm, reset):
        for name in ("lemmas", "chars"):
            assert (cold.blocks[name] != other.blocks[name]).nnz == 0
    restored = pickle.loads(pickle.dumps(featurizer))
    assert restored._words.index == {}  # the registry is a cache: not stored with the model
    assert (restored.transform(prepared).blocks["chars"] != cold.blocks["chars"]).nnz == 0


@pytest.mark.skipif(ml.navec_path() is None, reason="natasha's navec file is not installed")
def test_word_vectors_put_related_texts_close() -> None:
    featurizer = ml.Featurizer(char_ngrams=None).fit(docs())
    vectors = featurizer.transform(
        docs(["хоккей и футбол", "футбольный матч на стадионе", "прорвало канализацию в подвале", ""])
    ).blocks["embedding"]
    assert vectors.shape == (4, 300)
    np.testing.assert_allclose(np.linalg.norm(vectors[:3], axis=1), 1.0, rtol=1e-5)
    assert not vectors[3].any()
    sport, match, sewer = vectors[0], vectors[1], vectors[2]
    assert sport @ match > sport @ sewer + 0.1
