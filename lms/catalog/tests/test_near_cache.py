"""The per-process near-cache in front of the shared response cache (lms/catalog/cache.py):
a hit there costs no GET of the body, yet a write committed by any other process is seen on
the next read (the version is read from the shared cache every time); it is bounded by
count and bytes, least recently used out first, and drops an entry when the shared cache
would. With Redis, a cached anonymous read costs two round trips: the version, and the
throttle's one pipeline.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache

from lms.catalog import cache as response_cache
from lms.catalog.models import Course
from lms.core.testing import record_redis_commands
from lms.core.tests.test_throttling import real_redis  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db

LIST = "/api/v1/courses/?page_size=5"


@pytest.fixture(params=["locmem", "redis"])
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "redis":
        request.getfixturevalue("real_redis")
    response_cache.near_cache.clear()
    return str(request.param)


def _is_page(key: str) -> bool:
    """A kept answer's key (a list's count is kept beside its pages: `catalog:count:`)."""
    return key.startswith("catalog:") and not key.startswith("catalog:count:")


def _detail(course: Any) -> str:
    return f"/api/v1/courses/{course.slug}/"


def test_a_write_by_another_process_is_seen_on_the_next_read(backend, anon_client, course):
    # given: this process built the list and the detail, and keeps them near
    urls = [LIST, _detail(course)]
    before = {url: anon_client.get(url).json() for url in urls}
    old_keys = [key for key in list(response_cache.near_cache._entries) if _is_page(key)]
    assert len(old_keys) == len(urls)

    # when: another process commits a rename and bumps the version in the shared cache (it
    # cannot touch this process's memory)
    Course.objects.filter(pk=course.pk).update(title="Oils, renamed elsewhere")
    cache.incr(response_cache.VERSION_KEY)

    # then: the next read here is built anew, though the old bodies are still near
    after = {url: anon_client.get(url).json() for url in urls}
    assert all(key in response_cache.near_cache._entries for key in old_keys)
    assert before[LIST]["results"][0]["title"] == "Watercolour basics"
    assert after[LIST]["results"][0]["title"] == "Oils, renamed elsewhere"
    assert after[_detail(course)]["title"] == "Oils, renamed elsewhere"


def test_a_near_hit_reads_no_body_from_the_shared_cache(backend, anon_client, course, monkeypatch):
    # given: the list built (its body kept near and shared), then dropped from the shared cache
    built = anon_client.get(LIST).content
    (key,) = [key for key in response_cache.near_cache._entries if _is_page(key)]
    cache.delete(key)
    reads: list[str] = []

    class Spy:
        def get(self, key: str, *args: Any, **kwargs: Any) -> Any:
            reads.append(key)
            return cache.get(key, *args, **kwargs)

        def __getattr__(self, name: str) -> Any:
            return getattr(cache, name)

    monkeypatch.setattr(response_cache, "cache", Spy())

    # when: read again
    again = anon_client.get(LIST).content

    # then: the same body, and the only key read from the shared cache was the version
    assert again == built
    assert reads == [response_cache.VERSION_KEY]


def test_a_process_with_an_empty_near_cache_reads_the_shared_entry(backend, anon_client, course):
    built = anon_client.get(_detail(course)).content
    response_cache.near_cache.clear()  # another process, which never built it

    assert anon_client.get(_detail(course)).content == built
    assert len(response_cache.near_cache) == 1  # and keeps it near from then on


def test_two_round_trips_per_cached_read_on_redis(request, anon_client, course, monkeypatch):
    request.getfixturevalue("real_redis")
    # given: each anonymous page built once, and read once more (connections made)
    urls = [LIST, _detail(course), f"/api/v1/courses/{course.pk}/curriculum/"]
    for url in urls:
        assert anon_client.get(url).status_code == 200
        assert anon_client.get(url).status_code == 200
    sent = record_redis_commands(monkeypatch)

    # when: each read again
    for url in urls:
        sent.clear()
        assert anon_client.get(url).status_code == 200

        # then: the version's GET, and the throttle's pipeline (INCR, EXPIRE, GET)
        assert len(sent) == 2, (url, sent)
        assert b"catalog:response-version" in sent[0]
        assert sent[1].count(b"INCR") == 1
        assert sent[1].count(b"EXPIRE") == 1


# --- the LRU itself -----------------------------------------------------------------------------


def test_the_near_cache_is_bounded_by_count_least_recently_used_out(settings):
    settings.CATALOG_NEAR_CACHE_ENTRIES = 3
    lru = response_cache.NearCache()
    for name in "abc":
        lru.put(name, name.encode(), 1, expires_at=2e9)
    assert lru.get("a", now=1e9) == b"a"  # used: now the most recent

    lru.put("d", b"d", 1, expires_at=2e9)

    assert len(lru) == 3
    assert lru.get("b", now=1e9) is None  # the least recently used went
    assert [lru.get(name, now=1e9) for name in "acd"] == [b"a", b"c", b"d"]


def test_the_near_cache_is_bounded_by_bytes(settings):
    settings.CATALOG_NEAR_CACHE_BYTES = 1000
    lru = response_cache.NearCache()
    for index in range(4):
        lru.put(f"k{index}", b"x" * 300, 300, expires_at=2e9)

    assert len(lru) == 3
    assert lru.size == 900
    assert lru.get("k0", now=1e9) is None

    lru.put("huge", b"x" * 1001, 1001, expires_at=2e9)  # larger than the whole bound
    assert lru.get("huge", now=1e9) is None
    assert lru.size == 900

    lru.put("k1", b"y" * 100, 100, expires_at=2e9)  # replaced: its old size is given back
    assert lru.size == 700


def test_a_near_entry_expires_when_the_shared_one_does(settings):
    lru = response_cache.NearCache()
    lru.put("k", b"body", 4, expires_at=1000.0)
    assert lru.get("k", now=999.9) == b"body"
    assert lru.get("k", now=1000.0) is None
    assert len(lru) == 0
    assert lru.size == 0


def test_zero_entries_turns_it_off(settings, anon_client, course):
    settings.CATALOG_NEAR_CACHE_ENTRIES = 0
    response_cache.near_cache.clear()
    built = anon_client.get(LIST).content
    assert len(response_cache.near_cache) == 0
    assert anon_client.get(LIST).content == built  # from the shared cache
