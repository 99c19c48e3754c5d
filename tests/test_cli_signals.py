"""Stopping signals (simulate/cli/signals.py): honoured even when library code swallows them."""

from __future__ import annotations

import signal

import pytest

from simulate.cli import signals


def test_a_swallowed_signal_is_honoured_as_the_next_piece_of_work_finishes(monkeypatch):
    signals.honour_pending()  # nothing received: nothing happens
    monkeypatch.setattr(signals._State, "pending", int(signal.SIGINT))
    with pytest.raises(signals.Interrupted) as caught:
        signals.honour_pending()
    assert signals.stop_signal(caught.value) == signal.SIGINT
    monkeypatch.setattr(signals._State, "code", 130)  # already announced: not again
    signals.honour_pending()
