"""The report's model cards: what each row's model is, how much it trained, how its training ended.

Everything here reads the cards results.json stores (:mod:`benchmarks.run.cards`); nothing is
recomputed. Rows of results from before the cards existed show dashes.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from benchmarks.report import formatting as fmt
from benchmarks.report.data import CorpusRun, dig
from benchmarks.run.cards import CONVERGED_BPC, END_FRACTION, NO_TREND, STILL_IMPROVING

CARD_COLUMNS = ("generator", "model", "parameters", "tokens", "trained", "training ended")


def row_card(run: CorpusRun, name: str) -> dict[str, Any]:
    """The row's stored card ({} when its results hold none)."""
    return dig(run.corpus, "rows", name, "card")


def mean(card: dict[str, Any], key: str) -> float | None:
    """A card number: the mean over the seeds (a row card) or the number itself (a cell card)."""
    value = card.get(key)
    return fmt.finite(value.get("mean") if isinstance(value, dict) else value)


def compact(value: Any) -> str:
    """1,071,872 -> '1.07 M', 515,987 -> '516 k', 83 -> '83'."""
    number = fmt.finite(value)
    if number is None:
        return fmt.DASH
    for scale, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(number) >= scale:
            return f"{number / scale:.3g} {unit}"
    return f"{number:.3g}"


def model(card: dict[str, Any]) -> str:
    """'LSTM 2×192, embedding 64, from scratch' (or 'pretrained NAME')."""
    pretrained = card.get("pretrained")
    origin = f"pretrained {pretrained}" if pretrained else "from scratch"
    return f"{card.get('architecture') or fmt.DASH}, {origin}" if card else fmt.DASH


def tokens(card: dict[str, Any]) -> str:
    """'characters + unknown symbol (83)': the tokenizer and its vocabulary."""
    if not card:
        return fmt.DASH
    vocabulary = mean(card, "vocabulary")
    size = f" ({fmt.count(vocabulary)})" if vocabulary is not None else ""
    return f"{card.get('tokenizer') or fmt.DASH}{size}"


def trained(card: dict[str, Any]) -> str:
    """'4.10 M characters (0.99 epochs), 4,000 steps'."""
    if not card:
        return fmt.DASH
    epochs = mean(card, "epochs")
    passes = f" ({epochs:.2f} epochs)" if epochs is not None else ""
    steps = mean(card, "steps")
    return f"{compact(mean(card, 'train_chars'))} characters{passes}, {fmt.tally(steps)} step{'' if steps == 1 else 's'}"


def ending(card: dict[str, Any]) -> str:
    """'still improving (-0.080 bpc over the last fifth)', or the verdict alone without a trend."""
    if not card:
        return fmt.DASH
    change = mean(card, "end_change_bpc")
    trend = f" ({fmt.signed(change)} bpc over the last fifth)" if change is not None else ""
    return f"{card.get('end_verdict') or fmt.DASH}{trend}"


def cards_table(run: CorpusRun) -> pd.DataFrame:
    """One row per generator: model, parameters, tokens, training, how it ended."""
    rows = []
    for name in run.names:
        card = row_card(run, name)
        values = (
            name,
            model(card),
            compact(mean(card, "parameters")),
            tokens(card),
            trained(card),
            ending(card),
        )
        rows.append(dict(zip(CARD_COLUMNS, values, strict=True)))
    return pd.DataFrame(rows, columns=list(CARD_COLUMNS))


def cards_note(run: CorpusRun) -> str:
    """What the card columns mean, with the ending rule and each row's notes (a spelling model)."""
    notes = [
        f"{name}: {row_card(run, name)['notes']}" for name in run.names if row_card(run, name).get("notes")
    ]
    rule = (
        "**Training ended** is the trend of validation bpc over the last "
        f"{END_FRACTION:.0%} of training steps (a least-squares line through the learning curve's points "
        f"there): *still improving* when it falls by more than {CONVERGED_BPC} bpc, *getting worse* when "
        f"it rises by more, *converged* within; with several seeds, each seed's word. An epoch is one pass "
        "over the train split's characters."
    )
    return rule + (" " + "; ".join(notes) + "." if notes else "")


def validation_text(run: CorpusRun, name: str) -> str:
    """Which validation text the row's learning curve scored: 'the first 20,000 characters of valid'."""
    chars = mean(row_card(run, name), "valid_chars")
    whole = fmt.finite(dig(run.corpus, "summary", "chars").get("valid"))
    if chars is None:
        return "validation text not recorded"
    if whole is not None and chars >= whole:
        return f"all {fmt.count(whole)} characters of valid"
    return f"first {fmt.count(chars)} characters of valid"


def training_minutes(run: CorpusRun) -> tuple[float, float] | None:
    """The smallest and largest mean training minutes of the rows that trained for more than one
    step (the neural rows), from their stored fit seconds."""
    minutes = [
        seconds / 60
        for name in run.names
        if (mean(row_card(run, name), "steps") or 0) > 1
        and (seconds := run.value(name, "fit", "seconds")) is not None
    ]
    return (min(minutes), max(minutes)) if minutes else None


def budget_line(run: CorpusRun) -> str:
    """'quick profile: about 4 to 6 minutes of CPU training each (fixed steps)'."""
    span = training_minutes(run)
    profile = run.section("config", "run").get("name") or "this"
    device = "GPU" if str(run.data.get("device") or "cpu").startswith("cuda") else "CPU"
    if span is None:
        return f"{profile} profile"
    low, high = (round(m) if m >= 2 else round(m, 1) for m in span)
    amount = f"about {low:g} minutes" if low == high else f"about {low:g} to {high:g} minutes"
    return f"{profile} profile: {amount} of {device} training each"


def trained_rows(run: CorpusRun) -> list[str]:
    """The rows whose card shows more than one training step (the neural rows)."""
    return [n for n in run.names if (mean(row_card(run, n), "steps") or 0) > 1]


def scope_lines(run: CorpusRun) -> list[str]:
    """The budget the ranking holds at and what it does not claim, from the stored cards."""
    rows = [n for n in run.names if row_card(run, n)]
    if not rows:
        return []
    sizes = [mean(row_card(run, n), "parameters") for n in rows]
    sizes = sorted(s for s in sizes if s is not None)
    trained = trained_rows(run)
    epochs = sorted(e for n in trained if (e := mean(row_card(run, n), "epochs")) is not None)
    pretrained = [n for n in rows if row_card(run, n).get("pretrained")]
    origin = f"pretrained: {', '.join(pretrained)}" if pretrained else "every one trained from scratch"
    passes = (
        f", {between(f'{epochs[0]:.2f}', f'{epochs[-1]:.2f}')} passes over the train split" if epochs else ""
    )
    improving = [n for n in trained if STILL_IMPROVING in str(row_card(run, n).get("end_verdict"))]
    ending = ""
    if improving:
        verb = "was" if len(improving) == 1 else "were"
        ending = (
            f" {len(improving)} of the {len(trained)} trained models ({', '.join(improving)}) {verb} still"
        )
        ending += " improving when training stopped: longer training would lower their bpc."
    unknown = [n for n in trained if str(row_card(run, n).get("end_verdict")).startswith(NO_TREND)]
    if unknown:
        ending += f" Too few validations to tell how training ended for {', '.join(unknown)}."
    elif trained and not improving:
        ending = " No trained model was still improving when training stopped (see Models)."
    span = between(compact(sizes[0]), compact(sizes[-1])) if sizes else fmt.DASH
    return [
        f"**The budget this ranking holds at**: {budget_line(run)}{passes}; models of {span} parameters, "
        f"{origin}.{ending} The ranking compares these models at this budget on this corpus; it does not "
        "claim which architecture is better at other sizes, with longer training or on other text.",
        "",
    ]


def between(low: str, high: str) -> str:
    """'0.34 to 0.53', or one figure when both read the same."""
    return low if low == high else f"{low} to {high}"
