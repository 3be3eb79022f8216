"""Byte-level tokens for GPT-2-style models: exact bytes per token and per-character bookkeeping.

A byte-level tokenizer (GPT-2's, or a BPE trained here with the ``tokenizers`` library) turns
text into UTF-8 bytes and merges them, so every string is encodable (open vocabulary, no UNK).
:class:`ByteLevelTokens` keeps the exact bytes of every token id, which gives

* :meth:`~ByteLevelTokens.encode`: token ids whose bytes concatenate to the text's UTF-8 bytes
  (checked on every call); a literal ``<|endoftext|>`` in the text is encoded as plain text;
  :meth:`~ByteLevelTokens.encode_open` the same for a text that goes on (its trailing whitespace
  run tokenized as it is once something follows);
* :meth:`~ByteLevelTokens.last_char_index`: the character holding each token's last byte, where
  per-character scores go (a multi-byte character split over several tokens collects them all);
* :meth:`~ByteLevelTokens.token_bytes`: the bytes to decode incrementally during generation;
* :meth:`~ByteLevelTokens.starting_with` / :meth:`~ByteLevelTokens.is_open_end`: the tokens whose
  bytes start with given bytes, and whether a token could merge with what follows it (its bytes are
  whole characters and another token starts with them) — for open text ends and token healing.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from functools import cache, lru_cache
from pathlib import Path

import numpy as np
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

from generators.errors import ConfigError

END_OF_TEXT = "<|endoftext|>"
CHUNK_CHARS = 1 << 20  # characters per piece fed to the BPE trainer


@cache
def byte_decoder() -> dict[str, int]:
    """GPT-2's printable stand-in character for each byte, inverted: stand-in → byte value."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), 256)]
    stand_ins = {b: b for b in printable}
    extra = 0
    for b in range(256):
        if b not in stand_ins:
            stand_ins[b] = 256 + extra
            extra += 1
    return {chr(code): b for b, code in stand_ins.items()}


def _byte_level(model: models.Model) -> Tokenizer:
    tokenizer = Tokenizer(model)
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tokenizer.decoder = decoders.ByteLevel()
    return tokenizer


def raw_byte_tokenizer() -> Tokenizer:
    """256 single-byte tokens (id = byte value) and ``<|endoftext|>`` (id 256); no merges."""
    stand_in = {b: c for c, b in byte_decoder().items()}
    vocab = {stand_in[b]: b for b in range(256)}
    tokenizer = _byte_level(models.BPE(vocab=vocab, merges=[]))
    tokenizer.add_special_tokens([END_OF_TEXT])
    return tokenizer


def _safe_chunks(text: str, size: int) -> Iterator[str]:
    """Pieces of about ``size`` characters, cut only after a newline followed by a non-space.

    GPT-2's pre-tokenizer never joins such a newline with what follows, so the pieces give the
    trainer exactly the pre-tokens the whole text would.
    """
    start = 0
    while len(text) - start > size:
        cut = start + size
        while cut < len(text) and not (text[cut - 1] == "\n" and not text[cut].isspace()):
            cut += 1
        yield text[start:cut]
        start = cut
    yield text[start:]


def train_byte_bpe(text: str, vocab_size: int) -> Tokenizer:
    """A byte-level BPE trained on ``text``: ``<|endoftext|>`` (id 0), all 256 bytes, then merges.

    The vocabulary is smaller than ``vocab_size`` when ``text`` runs out of pairs seen twice.
    """
    tokenizer = _byte_level(models.BPE())
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=2,
        special_tokens=[END_OF_TEXT],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(_safe_chunks(text, CHUNK_CHARS), trainer)
    return tokenizer


def char_byte_ends(text: str) -> np.ndarray:
    """(len(text),) int64: the UTF-8 byte offset just after each character."""
    code_points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    widths = 1 + (code_points >= 0x80) + (code_points >= 0x800) + (code_points >= 0x10000)
    return np.cumsum(widths, dtype=np.int64)


class ByteLevelTokens:
    """A byte-level ``tokenizers.Tokenizer`` with the exact bytes of each token id."""

    def __init__(self, tokenizer: Tokenizer, end_of_text: int) -> None:
        self.tokenizer = tokenizer
        self.tokenizer.encode_special_tokens = True  # "<|endoftext|>" in a text is just text
        self.end_of_text = end_of_text
        self.vocab_size = tokenizer.get_vocab_size(with_added_tokens=True)
        self.special_ids = sorted(tokenizer.get_added_tokens_decoder())
        self.table = [self._bytes_of(i) for i in range(self.vocab_size)]
        self.lengths = np.array([len(b) for b in self.table], dtype=np.int64)  # (V,)
        self.order = np.array(sorted(range(self.vocab_size), key=self.table.__getitem__), dtype=np.int64)
        self.sorted_bytes = [self.table[i] for i in self.order]  # for ranges of tokens by prefix
        self.is_open_end = lru_cache(maxsize=None)(self._is_open_end)

    def _bytes_of(self, token_id: int) -> bytes:
        if token_id in self.special_ids:
            return b""  # never produced by encode; generation blocks all but end-of-text
        piece = self.tokenizer.id_to_token(token_id)
        if piece is None:
            return b""
        decoder = byte_decoder()
        if any(c not in decoder for c in piece):
            raise ConfigError(
                f"token {token_id} ({piece!r}) is not byte-level: a GPT-2-style tokenizer is needed"
            )
        return bytes(decoder[c] for c in piece)

    @property
    def blocked_ids(self) -> list[int]:
        """Ids generation must never pick: special tokens other than end-of-text."""
        return [i for i in self.special_ids if i != self.end_of_text]

    def encode(self, text: str) -> np.ndarray:
        """(n,) int64 token ids of ``text`` (no special tokens added)."""
        if not text:
            return np.zeros(0, dtype=np.int64)
        try:
            raw = text.encode("utf-8")
        except UnicodeEncodeError as error:
            raise ValueError(
                f"character {error.start} of the text is a lone surrogate (U+{ord(text[error.start]):04X}), "
                "not a Unicode scalar value: it has no UTF-8 bytes to model"
            ) from None
        ids = np.asarray(self.tokenizer.encode(text, add_special_tokens=False).ids, dtype=np.int64)
        if b"".join(self.table[i] for i in ids) != raw:
            raise ConfigError(
                "the tokenizer does not reproduce the text's bytes (a normalizer or prefix space?)"
            )
        return ids

    def encode_open(self, text: str) -> np.ndarray:
        """Token ids of ``text`` as the start of a longer text: GPT-2's pre-tokenizer keeps a whitespace
        run that ends the text whole (``\\s+(?!\\S)``), but once anything follows it gives the run's
        last character a token of its own or to the next word ("\\n\\nThe" is "\\n", "\\n", "The");
        so two or more trailing whitespace characters are tokenized with the last one apart."""
        if len(text) >= 2 and text[-1].isspace() and text[-2].isspace():
            return np.concatenate([self.encode(text[:-1]), self.encode(text[-1])])
        return self.encode(text)

    def token_bytes(self, token_id: int) -> bytes:
        return self.table[token_id]

    def starting_with(self, prefix: bytes) -> np.ndarray:
        """(k,) ids of the tokens whose bytes start with ``prefix`` (special tokens have none)."""
        start = bisect.bisect_left(self.sorted_bytes, prefix)
        head = prefix.rstrip(b"\xff")  # the first byte string above every extension of the prefix
        stop = (
            bisect.bisect_left(self.sorted_bytes, head[:-1] + bytes([head[-1] + 1]))
            if head
            else len(self.sorted_bytes)
        )
        return self.order[start:stop]

    def _is_open_end(self, token_id: int) -> bool:
        """True when the token's bytes are whole UTF-8 characters and another token starts with them:
        a text ending in it may go on in a longer token (a trailing space, a partial word)."""
        data = self.table[token_id]
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return False
        return bool(data) and len(self.starting_with(data)) > 1

    def last_char_index(self, text: str, ids: np.ndarray) -> np.ndarray:
        """(len(ids),) index of the character that holds each token's last byte."""
        token_ends = np.cumsum(self.lengths[ids])  # (n,) byte offset after each token
        return np.searchsorted(char_byte_ends(text), token_ends, side="left")

    def describe(self) -> str:
        if self.lengths.max() == 1:
            return f"UTF-8 bytes, {self.vocab_size} tokens (256 bytes + <|endoftext|>)"
        return f"byte-level BPE, {self.vocab_size} tokens (256 bytes, merges, <|endoftext|>)"

    def save(self, path: Path) -> None:
        self.tokenizer.save(str(path))

    @classmethod
    def load(cls, path: Path, end_of_text: int) -> ByteLevelTokens:
        return cls(Tokenizer.from_file(str(path)), end_of_text)

    @classmethod
    def from_pretrained(cls, name_or_path: str) -> ByteLevelTokens:
        """The fast tokenizer of a Hugging Face model; its EOS token is the end-of-text token."""
        from transformers import AutoTokenizer

        hf = AutoTokenizer.from_pretrained(name_or_path)
        backend = getattr(hf, "backend_tokenizer", None)
        if backend is None or hf.eos_token_id is None:
            raise ConfigError(f"{name_or_path!r} needs a fast byte-level tokenizer with an EOS token")
        return cls(backend, int(hf.eos_token_id))
