"""Named corpora with deterministic train / valid / test splits, open to plugins.

``load_corpus(name)`` returns a :class:`generators.base.Corpus`; ``available_corpora()`` lists
the names (``textgen-bench corpora``); ``check_corpus_name(name)`` checks one without importing or
reading anything heavy. ``Corpus.sha256`` is the SHA-256 of the UTF-8 text the splits were cut
from, after the normalisation that ``Corpus.split_rule`` describes.

* :mod:`~benchmarks.corpora.registry`: names -> loaders, the built-ins declared in this package,
  plugins from the entry-point group ``textgen_bench.corpora`` (the plugin contract is there);
* :mod:`~benchmarks.corpora.fetch`: verified, atomic downloads and archive extraction;
* :mod:`~benchmarks.corpora.normalise`: bytes to text (strict UTF-8, no NUL bytes), line ends,
  Gutenberg boilerplate, AG News escapes;
* :mod:`~benchmarks.corpora.split`: cutting text into splits, their minimum sizes, sha256;
* one module per source: :mod:`~benchmarks.corpora.shakespeare` (``shakespeare``, the default),
  :mod:`~benchmarks.corpora.tinyshakespeare`, :mod:`~benchmarks.corpora.ag_news` (``ag_news``,
  ``ag_news:PATH``) and :mod:`~benchmarks.corpora.files` (``file:PATH``).
"""

from benchmarks.corpora.registry import (
    DATA_ENV,
    ENTRY_POINT_GROUP,
    CorpusEntry,
    available_corpora,
    check_corpus_name,
    data_directory,
    hidden_plugins,
    load_corpus,
)
from benchmarks.corpora.split import require_context

__all__ = [
    "DATA_ENV",
    "ENTRY_POINT_GROUP",
    "CorpusEntry",
    "available_corpora",
    "check_corpus_name",
    "data_directory",
    "hidden_plugins",
    "load_corpus",
    "require_context",
]
