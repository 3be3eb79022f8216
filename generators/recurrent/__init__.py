"""The recurrent generators: char-lstm and word-lstm, one LSTM language model with carried state.

``config`` (settings of both), ``model`` (the network and its state), ``generator`` (what both
share: training, scoring with carried state, generation), ``decoding`` (the per-step decoding
paths), ``char_lstm`` and ``word_lstm`` (what each adds: its tokens and its open end).
"""
