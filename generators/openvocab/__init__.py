"""How every string gets a finite score: the building blocks of the open vocabulary.

``vocabulary`` (a lossless word tokenizer; the cost of a character outside an alphabet),
``kneser_ney`` (interpolated Kneser–Ney n-gram tables), ``spelling`` (a character n-gram model that
spells the words a word-level model does not know).
"""
