"""The one registry helper for upward calls."""

import pytest

from lms.core.registry import NotRegistered, Registry


def test_entries_by_key_in_order_and_replaced_by_key():
    registry: Registry[int] = Registry("test.numbers")
    registry.register("a", 1)
    registry.register("b", 2)
    registry.register("a", 3)  # a repeated AppConfig.ready replaces, never duplicates
    assert (list(registry), registry.keys(), len(registry)) == ([3, 2], ["a", "b"], 2)
    assert registry.get("b") == 2
    assert "a" in registry


def test_a_missing_key_says_which_registry():
    registry: Registry[int] = Registry("test.numbers")
    with pytest.raises(NotRegistered, match=r"test\.numbers"):
        registry.get("nothing")


def test_swapped_holds_only_the_given_entries_and_restores():
    registry: Registry[int] = Registry("test.numbers")
    registry.register("a", 1)
    with registry.swapped({"b": 2}):
        assert list(registry) == [2]
    assert list(registry) == [1]
