"""Odd query strings on the listing routes of issue 5: a 400 or ignored, never a 500.
(Random JSON bodies on every POST route are in test_fuzz.py.)"""

import pytest


@pytest.mark.parametrize("query", ["status=%00", "limit=1e3", "limit=-1", "days=99999999999999999999",
                                   "region=%FF", "months=1.5", "offset=x"])
@pytest.mark.parametrize("path", ["/api/v1/reports", "/api/v1/alerts", "/api/v1/warnings",
                                  "/api/v1/stats/monthly"])
def test_odd_query_strings_are_400_or_ignored(client, caseworker_token, path, query):
    response = client.get(f"{path}?{query}", headers={"Authorization": f"Bearer {caseworker_token}"})
    assert response.status_code in (200, 400), response.get_data(as_text=True)
    assert response.is_json
