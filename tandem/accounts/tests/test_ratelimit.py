import pytest
from django.core.cache import cache

from tandem.accounts.ratelimit import login_blocked, login_failed, login_succeeded


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.LOGIN_RATE_LIMIT = 3
    settings.LOGIN_RATE_WINDOW_SECONDS = 60
    cache.clear()
    yield
    cache.clear()


def test_login_is_not_blocked_before_the_limit():
    login_failed("ivan@example.com", "10.0.0.1")
    login_failed("ivan@example.com", "10.0.0.1")

    assert login_blocked("ivan@example.com", "10.0.0.1") is False


def test_login_is_blocked_after_the_limit_for_that_account_in_any_case():
    for _attempt in range(3):
        login_failed("ivan@example.com", "10.0.0.1")

    assert login_blocked("ivan@example.com", "10.0.0.1") is True
    assert login_blocked(" IVAN@example.com ", "10.0.0.9") is True
    assert login_blocked("maria@example.com", "10.0.0.2") is False


def test_success_resets_the_account_counter():
    for _attempt in range(2):
        login_failed("ivan@example.com", "10.0.0.1")

    login_succeeded("ivan@example.com", "10.0.0.1")
    login_failed("ivan@example.com", "10.0.0.1")
    login_failed("ivan@example.com", "10.0.0.1")

    assert login_blocked("ivan@example.com", "10.0.0.1") is False


def test_one_address_gets_four_times_the_allowance_across_accounts():
    for number in range(11):
        login_failed(f"user{number}@example.com", "10.0.0.1")
    assert login_blocked("other@example.com", "10.0.0.1") is False

    login_failed("user11@example.com", "10.0.0.1")

    assert login_blocked("other@example.com", "10.0.0.1") is True
    assert login_blocked("other@example.com", "10.0.0.2") is False


def test_counters_expire_with_the_window(settings):
    import time_machine

    with time_machine.travel(0, tick=False) as traveller:
        for _attempt in range(3):
            login_failed("ivan@example.com", "10.0.0.1")
        assert login_blocked("ivan@example.com", "10.0.0.1") is True

        traveller.shift(61)

        assert login_blocked("ivan@example.com", "10.0.0.1") is False
