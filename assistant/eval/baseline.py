"""The textbook llama-index pipeline the system is compared with: default splitter, same embedder, top-5."""

from __future__ import annotations

from collections.abc import Sequence

from assistant.core.settings import Settings
from assistant.eval.scoring import RETRIEVAL_TYPES, GoldQuestion, first_rank, retrieval_scores
from assistant.index.embedding import as_llama_index


def run_baseline(settings: Settings, embedder, questions: Sequence[GoldQuestion]) -> dict[str, float | None]:
    """hit@1/hit@5/MRR of the textbook llama-index pipeline (default splitter, top-5), same embedder."""
    # llama-index takes seconds to import: only `assistant eval` with the baseline pays for it.
    from llama_index.core import QueryBundle, SimpleDirectoryReader, VectorStoreIndex
    from llama_index.core.node_parser import SentenceSplitter

    docs = SimpleDirectoryReader(str(settings.corpus_dir), exclude=["manifest.json"]).load_data()
    index = VectorStoreIndex.from_documents(docs, embed_model=as_llama_index(embedder),
                                            transformations=[SentenceSplitter()])
    retriever = index.as_retriever(similarity_top_k=5)
    asked = [q for q in questions if q.answerable and q.type in RETRIEVAL_TYPES]
    # The query vectors the adapter would compute one by one, computed in one batch (same vectors, faster).
    vectors = embedder.embed([q.question for q in asked], "query") if asked else []
    ranks = []
    for q, v in zip(asked, vectors, strict=True):
        nodes = retriever.retrieve(QueryBundle(q.question, embedding=[float(x) for x in v]))
        ranks.append(first_rank(q.quotes, [n.node.get_content() for n in nodes]))
    return retrieval_scores(ranks)
