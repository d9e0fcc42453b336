"""Semantic search: embeddings of document sections, questions and answers computed on this
machine, stored beside the documents, and used for hybrid search and related content.

- `embedders`: the model behind a small interface (EMBEDDINGS_BACKEND);
- `sections`: a document's Markdown split at its headings;
- `models`, `fields`, `vectors`: the stored vectors and the nearest-neighbour scan;
- `indexing`, `tasks`, `hooks`: keeping the vectors up to date after commits, never on
  the edit path;
- `fusion`: reciprocal-rank fusion and trigram similarity (pure);
- `retrieval`: keyword, trigram and vector rankings fused for `/search/` and the API;
- `related`: related documents, similar questions, sections that may answer a question;
- `evaluation`, `eval_queries`: the learner queries behind `manage.py search_eval`.
"""
