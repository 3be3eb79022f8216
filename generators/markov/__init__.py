"""The Markov chain: markovify's chain for text, Kneser–Ney tables of the same counts for scores.

``config`` (its settings), ``generator`` (:class:`~generators.markov.generator.MarkovGenerator`:
fit, score, save), ``walk`` (the sampling walk over the chain's states).
"""
