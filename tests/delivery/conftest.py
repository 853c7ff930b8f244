"""The delivery tests' webhook receiver: real, on loopback (see support.webhook_receiver)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support import Receiver, webhook_receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as state:
        yield state


