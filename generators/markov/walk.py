"""Walking a compiled markovify chain: flat sampling tables, built once from the chain (fit, load).

Every chain state gets an integer id and every transition (a state's follower) one slot of flat
arrays, in the chain's own order: the follower's token, the id of the state it leads to and
markovify's cumulative count. A step is one binary search in the state's slots of a cumulative
table and a few array reads; no state tuple is built or hashed, as markovify's ``move`` does at
every step. The arrays are ``array.array``: contiguous machine values, not Python objects
scattered over the heap.

The cumulative table depends on the sampling. Plain sampling (T = 1, every other setting off) searches
markovify's counts themselves (as floats, exact below 2**53). Any other setting searches each
state's ``cumsum(next_token_probs(log counts))``, computed on the first call with that setting and
kept for the next ones: once per distinct row of counts (shakespeare: 181 k counts for the 395 k
slots of states with several followers), rows of equal length as one array, which gives each row
bit for bit what it gives alone. Greedy is the one-hot table at the argmax. Step ``n`` of a walk
uses uniform ``n`` of its stream, whatever the setting, so the text is the one that computing each
step's distribution on its own gave. A sampling whose rules read the row's earlier tokens
(repetition penalty, n-gram blocking) has no table: :meth:`ChainWalk.walk_remembering` computes
each step's distribution from the state's counts.

A state the chain does not hold (a prompt's start, the empty state after END) backs off to its
longest suffix that some state ends with, and samples the summed follower counts of those states
(END left out), in the order the chain first lists them. Those tables, for every suffix length
below ``state_size``, are built here too, with numpy; a step from them costs a few numpy calls,
and a walk leaves them after at most ``state_size`` steps, as every follower of a suffix leads to a
longer known suffix.
"""

from __future__ import annotations

import bisect
import itertools
from array import array
from collections.abc import Iterable, Sequence

import markovify
import numpy as np

from generators.base import Sampling
from generators.openvocab.kneser_ney import unique_rows
from generators.sampling import TokenHistory, choose_tokens, next_token_probs

NO_TOKEN = -1  # a state slot with no usable token (before the prompt, unknown)
END_SLOT = -1  # the token of a transition to markovify's END
BEGIN_ID = -2  # markovify's BEGIN padding, in the state rows
NOT_A_STATE = -1  # state id of a state the chain does not hold
CACHED_SAMPLINGS = 8  # cumulative tables kept, one per sampling setting (a sweep uses 7)

Backoff = dict[tuple[int, ...], tuple[list[int], list[int]]]  # suffix -> followers, cumulative counts


def is_plain(sampling: Sampling) -> bool:
    """T = 1 and every other setting off: the counts themselves are the distribution."""
    return sampling.temperature == 1 and not sampling.changed_fields()


def choose(cumulative: list[int], sampling: Sampling, u: float) -> int:
    """Pick a follower from its cumulative counts: argmax when greedy (first on ties), else inverse
    CDF at the uniform ``u``.

    Plain sampling searches ``u · total`` in the integer cumulative counts, which is the same
    distribution as softmax(log count) without the float round trip.
    """
    if sampling.greedy:
        counts = np.diff(cumulative, prepend=0)
        return int(np.argmax(counts))
    if is_plain(sampling):
        return min(bisect.bisect_right(cumulative, u * cumulative[-1]), len(cumulative) - 1)
    logits = np.log(np.diff(np.asarray(cumulative, dtype=np.float64), prepend=0.0))
    cdf = np.cumsum(next_token_probs(logits, sampling))
    return min(int(np.searchsorted(cdf, u * cdf[-1], side="right")), len(cdf) - 1)


class ChainWalk:
    """Sampling tables of one compiled chain, and the walk over them."""

    def __init__(self, chain: markovify.Chain, vocab: Sequence[str], *, char_level: bool) -> None:
        model = chain.model
        self.state_size = chain.state_size
        self.state_ids = {state: i for i, state in enumerate(model)}
        sizes = np.fromiter(map(len, (followers for followers, _ in model.values())), np.int64, len(model))
        starts = np.concatenate([[0], np.cumsum(sizes)])  # (S + 1,) first slot of each state
        tokens = _token_ids(itertools.chain.from_iterable(fs for fs, _ in model.values()), starts[-1])
        rows = _token_ids(itertools.chain.from_iterable(model), len(model) * self.state_size)
        rows = rows.reshape(len(model), self.state_size)  # (S, k) the states
        cumulative = np.fromiter(
            itertools.chain.from_iterable(c for _, c in model.values()), np.int64, starts[-1]
        )
        self.counts = np.diff(cumulative, prepend=0).astype(np.float64)  # (N,) follower counts
        self.counts[starts[:-1]] = cumulative[starts[:-1]]  # each state's first count
        self.starts = array("l", starts.tobytes())  # (S + 1,)
        self.tokens = array("l", tokens.tobytes())  # (N,)
        self.successors = array("l", _successors(rows, starts, tokens).tobytes())  # (N,)
        self.cumulative = array("d", cumulative.astype(np.float64).tobytes())  # (N,)
        self.patterns = _count_patterns(starts, self.counts)
        self.backoff = _backoff_tables(rows, starts, tokens, self.counts)
        self.bare = list(vocab)  # token id -> its text after whitespace
        self.is_word = [not char_level and not t[0].isspace() for t in vocab]
        self.spaced = [" " + t if w else t for t, w in zip(vocab, self.is_word, strict=True)]  # after a word
        self._cdfs: dict[Sampling, array] = {}

    def cdf(self, sampling: Sampling) -> array:
        """(N,) each state's cumulative table for ``sampling`` (see the module docstring)."""
        if is_plain(sampling):
            return self.cumulative
        table = self._cdfs.get(sampling)
        if table is None:
            cdf = np.ones(len(self.counts))  # one follower: probability 1
            for slots, counts, inverse in self.patterns:  # the states with n >= 2 followers
                probs = next_token_probs(np.log(counts), sampling)  # (u, n) once per distinct count row
                cdf[slots] = np.cumsum(probs, axis=-1)[inverse]  # (m, n)
            table = array("d", cdf.tobytes())
            if len(self._cdfs) >= CACHED_SAMPLINGS:
                del self._cdfs[next(iter(self._cdfs))]
            self._cdfs[sampling] = table
        return table

    def walk(
        self,
        state: tuple[int, ...],
        word_before: bool,
        max_chars: int,
        sampling: Sampling,
        rng: np.random.Generator,
    ) -> str:
        """Text of at least ``max_chars`` characters from ``state``, cut to ``max_chars``.

        ``word_before``: the text so far ends with a word (the next word needs a space first).
        Each step takes the next uniform of ``rng``, END included.
        """
        cdf = self.cdf(sampling)
        starts, tokens, successors = self.starts, self.tokens, self.successors
        bare, spaced, is_word = self.bare, self.spaced, self.is_word
        uniforms = rng.random(max_chars + 1).tolist()  # a step adds >= 1 character, but END adds none
        pieces: list[str] = []
        length = step = 0
        s = self.state_ids.get(state, NOT_A_STATE)
        while length < max_chars:
            if s == NOT_A_STATE:
                token = self._back_off(state, sampling, uniforms[step])
                state = (*state[1:], token)
                s = self.state_ids.get(state, NOT_A_STATE)
            else:
                first, last = starts[s], starts[s + 1] - 1
                slot = bisect.bisect_right(cdf, uniforms[step] * cdf[last], first, last)  # min(inverse CDF, last)
                token = tokens[slot]
                if token == END_SLOT:
                    state, s = (NO_TOKEN,) * self.state_size, NOT_A_STATE
                    uniforms += rng.random(max_chars + 1).tolist()
                    step += 1
                    continue
                s = successors[slot]
            step += 1
            piece = spaced[token] if word_before else bare[token]
            word_before = is_word[token]
            pieces.append(piece)
            length += len(piece)
        return "".join(pieces)[:max_chars]

    def walk_remembering(
        self,
        state: tuple[int, ...],
        word_before: bool,
        max_chars: int,
        sampling: Sampling,
        rng: np.random.Generator,
        history: TokenHistory,
    ) -> str:
        """:meth:`walk` for a sampling whose rules read the row's earlier tokens (``history``, one
        row: the prompt's stream tokens, each generated one appended). Each step's distribution is
        computed from the state's counts as log-probabilities, log(count / total), so the repetition
        penalty multiplies them by θ (they are never positive). With n-gram blocking, a state whose
        every follower would complete an n-gram already written backs off as a state the chain does
        not hold does, to the longest suffix with a follower that would not. Step ``n`` uses uniform
        ``n``, as in :meth:`walk`."""
        uniforms = rng.random(max_chars + 1).tolist()
        pieces: list[str] = []
        length = step = 0
        s = self.state_ids.get(state, NOT_A_STATE)
        while length < max_chars:
            followers, counts, slots = self._options(state, s, history, sampling.no_repeat_ngram > 0)
            pick = _remembered_choice(counts, followers, sampling, uniforms[step], history)
            token = followers[pick]
            if token == END_SLOT:
                state, s = (NO_TOKEN,) * self.state_size, NOT_A_STATE
                uniforms += rng.random(max_chars + 1).tolist()
                step += 1
                continue
            state = (*state[1:], token)
            s = self.successors[slots[pick]] if slots is not None else self.state_ids.get(state, NOT_A_STATE)
            history.append([token])
            step += 1
            piece = self.spaced[token] if word_before else self.bare[token]
            word_before = self.is_word[token]
            pieces.append(piece)
            length += len(piece)
        return "".join(pieces)[:max_chars]

    def greedy_cycle(
        self, state: tuple[int, ...], word_before: bool, max_chars: int
    ) -> tuple[str, int, int] | None:
        """The greedy walk from ``state`` up to the step that enters a walk state a second time:
        its text, the character offset where that state was first entered, and the characters
        between the two visits (the period); None when no state repeats within ``max_chars``.

        Greedy decoding is a function of the walk state (the chain state, or the backed-off state
        and whether a word came last), so a state seen twice repeats forever. The steps are
        ``walk``'s at temperature 0, so the text is the start of ``walk``'s.
        """
        greedy = Sampling(temperature=0.0)
        cdf = self.cdf(greedy)
        seen: dict[tuple[object, bool], int] = {}
        pieces: list[str] = []
        length = 0
        s = self.state_ids.get(state, NOT_A_STATE)
        while length <= max_chars:
            key = (s if s != NOT_A_STATE else state, word_before)
            if key in seen:
                return "".join(pieces), seen[key], length - seen[key]
            seen[key] = length
            if s == NOT_A_STATE:
                token = self._back_off(state, greedy, 0.0)
                state = (*state[1:], token)
                s = self.state_ids.get(state, NOT_A_STATE)
            else:
                last = self.starts[s + 1] - 1
                slot = bisect.bisect_right(cdf, 0.0, self.starts[s], last)  # the argmax: its one-hot entry
                token = self.tokens[slot]
                if token == END_SLOT:
                    state, s = (NO_TOKEN,) * self.state_size, NOT_A_STATE
                    continue
                s = self.successors[slot]
            piece = self.spaced[token] if word_before else self.bare[token]
            word_before = self.is_word[token]
            pieces.append(piece)
            length += len(piece)
        return None

    def _options(
        self, state: tuple[int, ...], s: int, history: TokenHistory, blocking: bool
    ) -> tuple[list[int], Sequence[float], range | None]:
        """The followers a step chooses from, their counts, and their slots (None when backed off):
        the state's own, else (not held, or every follower blocked) the longest suffix's."""
        if s != NOT_A_STATE:
            first, end = self.starts[s], self.starts[s + 1]
            followers = list(self.tokens[first:end])
            if not blocking or not _all_banned(followers, history):
                return followers, self.counts[first:end], range(first, end)
        k = self.state_size
        for j in range(k - 1, -1, -1):
            found = self.backoff[j].get(state[k - j :])
            if found is not None and (not blocking or j == 0 or not _all_banned(found[0], history)):
                followers, cumulative = found
                return followers, np.diff(cumulative, prepend=0), None
        raise AssertionError("the empty suffix always matches")

    def _back_off(self, state: tuple[int, ...], sampling: Sampling, u: float) -> int:
        """A follower of the longest suffix of ``state`` that some chain state ends with."""
        followers, cumulative = self._backoff_followers(state)
        return followers[choose(cumulative, sampling, u)]

    def _backoff_followers(self, state: tuple[int, ...]) -> tuple[list[int], list[int]]:
        """The followers and cumulative counts of the longest suffix of ``state`` that some chain
        state ends with."""
        k = self.state_size
        for j in range(k - 1, -1, -1):
            found = self.backoff[j].get(state[k - j :])
            if found is not None:
                return found
        raise AssertionError("the empty suffix always matches")


def _all_banned(followers: Sequence[int], history: TokenHistory) -> bool:
    """Whether every follower would complete an n-gram already in the row."""
    return bool(history.banned(np.asarray([followers], dtype=np.int64), len(followers)).all())


def _remembered_choice(
    counts: Sequence[float], followers: Sequence[int], sampling: Sampling, u: float, history: TokenHistory
) -> int:
    """The index of the follower chosen from ``counts`` by :func:`generators.sampling.choose_tokens`,
    the history rules reading the followers' token ids."""
    counts = np.asarray(counts, dtype=np.float64)
    logits = np.log(counts / counts.sum())[None]  # (1, n) log-probabilities
    candidates = np.asarray(followers, dtype=np.int64)[None]  # (1, n) their tokens (END: -1, never seen)
    return int(choose_tokens(logits, sampling, np.array([u]), history, candidates)[0])


def _token_ids(items: Iterable[int | str], count: int) -> np.ndarray:
    """(count,) int64 token ids of chain items: END as END_SLOT, BEGIN as BEGIN_ID."""
    ids = np.fromiter(items, dtype=object, count=count)
    ids[ids == markovify.chain.END] = END_SLOT
    ids[ids == markovify.chain.BEGIN] = BEGIN_ID
    return ids.astype(np.int64)


def _successors(rows: np.ndarray, starts: np.ndarray, tokens: np.ndarray) -> np.ndarray:
    """(N,) the id of the state each transition leads to (NOT_A_STATE after END)."""
    owner = np.repeat(np.arange(len(rows)), np.diff(starts))  # (N,) state of each slot
    following = np.column_stack([rows[owner, 1:], tokens])  # (N, k): the state after each slot
    _, inverse = unique_rows(np.concatenate([rows, following]))
    state_of = np.full(inverse.max() + 1, NOT_A_STATE)
    state_of[inverse[: len(rows)]] = np.arange(len(rows))
    return state_of[inverse[len(rows) :]]


def _count_patterns(starts: np.ndarray, counts: np.ndarray) -> list[tuple[np.ndarray, ...]]:
    """For each follower count n >= 2: the (m, n) slots of the m states with n followers, their u
    distinct count rows (u, n) and each state's row (m,) (shakespeare: 395 k slots, 181 k counts)."""
    sizes = np.diff(starts)  # (S,)
    patterns = []
    for n in np.unique(sizes[sizes >= 2]):
        slots = starts[:-1][sizes == n][:, None] + np.arange(n)  # (m, n)
        patterns.append((slots, *unique_rows(counts[slots])))
    return patterns


def _backoff_tables(
    rows: np.ndarray, starts: np.ndarray, tokens: np.ndarray, counts: np.ndarray
) -> list[Backoff]:
    """For each suffix length j < state_size: suffix -> summed follower counts of the states ending so.

    ``rows`` (S, k) states, ``starts`` (S + 1,) their first slots, ``tokens`` and ``counts`` (N,)
    per slot. Followers are listed in the order the chain first lists them; END is left out, and
    suffixes holding BEGIN (never looked up) too.
    """
    k = rows.shape[1]
    owner = np.repeat(np.arange(len(rows)), np.diff(starts))  # (N,) state of each slot
    slots = np.flatnonzero(tokens != END_SLOT)  # (M,)
    tables = []
    for j in range(k):
        suffixes = rows[owner[slots], k - j :]  # (M, j)
        usable = (suffixes != BEGIN_ID).all(axis=1)
        kept = slots[usable]
        pairs, inverse = unique_rows(np.column_stack([suffixes[usable], tokens[kept]]))
        totals = np.bincount(inverse, weights=counts[kept]).astype(np.int64)  # exact below 2**53
        first_slot = np.full(len(pairs), len(tokens))
        np.minimum.at(first_slot, inverse, kept)
        tables.append(_group_by_suffix(pairs, totals, first_slot))
    return tables


def _group_by_suffix(pairs: np.ndarray, totals: np.ndarray, first_slot: np.ndarray) -> Backoff:
    """(suffix..., token) rows, lexsorted, with counts -> suffix -> (followers, cumulative counts)."""
    j = pairs.shape[1] - 1
    new_suffix = np.ones(len(pairs), dtype=bool)
    new_suffix[1:] = (pairs[1:, :j] != pairs[:-1, :j]).any(axis=1)
    group = np.cumsum(new_suffix) - 1  # (P,) rows of one suffix are contiguous
    order = np.lexsort((first_slot, group))  # by suffix, then in the chain's order
    heads = np.flatnonzero(new_suffix)  # (G,) first row of each suffix
    running = np.cumsum(totals[order])
    cumulative = running - (running[heads] - totals[order][heads])[group]  # cumulative within each suffix
    tokens, cumulative = pairs[order, j].tolist(), cumulative.tolist()
    keys = map(tuple, pairs[heads, :j].tolist())
    bounds = itertools.pairwise([*heads.tolist(), len(pairs)])
    return {key: (tokens[a:b], cumulative[a:b]) for key, (a, b) in zip(keys, bounds, strict=True)}


def periodic_from(text: str, entered: int, period: int) -> int:
    """The first offset from which ``text`` repeats every ``period`` characters, given that it does
    from ``entered`` on (and holds at least ``entered + period`` characters)."""
    start = entered
    while start > 0 and text[start - 1] == text[start - 1 + period]:
        start -= 1
    return start
