import pytest

pytestmark = pytest.mark.django_db


def test_health_live(anon_client):
    response = anon_client.get("/health/live/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_health_ready_checks_database_and_cache(anon_client):
    response = anon_client.get("/health/ready/")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "cache": "ok"}
