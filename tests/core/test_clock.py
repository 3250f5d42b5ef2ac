import datetime
import threading

import pytest
from django.utils import timezone

from tandem.core import clock


def test_now_is_the_real_time_outside_a_replay() -> None:
    before = timezone.now()
    moment = clock.now()
    assert before <= moment <= timezone.now()
    assert not clock.is_replaying()


def test_a_replay_stamps_its_moment_and_nests() -> None:
    first = datetime.datetime(2026, 11, 2, 9, 30, tzinfo=datetime.UTC)
    second = first + datetime.timedelta(days=1)
    with clock.replaying(first):
        assert clock.now() == first and clock.is_replaying()
        with clock.replaying(second):
            assert clock.now() == second
            assert clock.localdate() == timezone.localdate(second)
        assert clock.now() == first
    assert not clock.is_replaying()


def test_a_replay_ends_even_when_the_work_inside_fails() -> None:
    moment = datetime.datetime(2026, 11, 2, 9, 30, tzinfo=datetime.UTC)
    with pytest.raises(RuntimeError), clock.replaying(moment):
        raise RuntimeError("boom")
    assert not clock.is_replaying()


def test_a_replay_is_not_seen_by_other_threads() -> None:
    seen: list[bool] = []
    with clock.replaying(datetime.datetime(2026, 11, 2, 9, 30, tzinfo=datetime.UTC)):
        worker = threading.Thread(target=lambda: seen.append(clock.is_replaying()))
        worker.start()
        worker.join(timeout=10)
    assert seen == [False]


def test_a_naive_moment_is_refused() -> None:
    with (
        pytest.raises(ValueError, match="timezone-aware"),
        clock.replaying(datetime.datetime(2026, 11, 2, 9)),
    ):
        pass
