"""Random JSON on every POST route of issue 5 (reports, desk): never a 500, always JSON errors."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
FIELDS = ["number", "category", "date", "region", "what_happened", "client_description",
          "summary", "reason", "password", "name", "phone"]
field_values = st.none() | st.booleans() | st.integers() | st.text(max_size=80) | st.sampled_from(
    ["06-12345678", "bel 06-98765432", "theft", "2026-01-01", "9999-99-99", "", " ", "\x00",
     "lang genoeg wachtwoord"]) | json_values
bodies = json_values | st.dictionaries(st.sampled_from(FIELDS), field_values, max_size=6)
ROUTES = ["/api/v1/reports", "/api/v1/reports/1/publish", "/api/v1/reports/2/reject",
          "/api/v1/members/99999999999999999999/activate",
          "/api/v1/reports/99999999999999999999/publish", "/api/v1/members",
          "/api/v1/members/2/password", "/api/v1/members/2/phone", "/api/v1/members/2/deactivate"]


@pytest.fixture
def fuzz_client(make_app, cli, caseworker_token):
    member = cli.json("member", "add", "mia")["token"]
    client = make_app().test_client()
    for _ in range(2):
        client.post("/api/v1/reports", json={"number": "0612345678", "category": "theft",
                                             "what_happened": "x"},
                    headers={"Authorization": f"Bearer {member}"})
    return client, caseworker_token


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.function_scoped_fixture])
@given(route=st.sampled_from(ROUTES), body=bodies)
def test_random_json_bodies_never_give_a_500(fuzz_client, route, body):
    client, token = fuzz_client
    response = client.post(route, json=body, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code < 500, response.get_data(as_text=True)
    assert response.is_json
    assert response.status_code < 300 or "error" in response.get_json()


@pytest.mark.parametrize("query", ["status=%00", "limit=1e3", "limit=-1", "days=99999999999999999999",
                                   "region=%FF", "months=1.5", "offset=x"])
@pytest.mark.parametrize("path", ["/api/v1/reports", "/api/v1/alerts", "/api/v1/warnings",
                                  "/api/v1/stats/monthly"])
def test_odd_query_strings_are_400_or_ignored(client, caseworker_token, path, query):
    response = client.get(f"{path}?{query}", headers={"Authorization": f"Bearer {caseworker_token}"})
    assert response.status_code in (200, 400), response.get_data(as_text=True)
    assert response.is_json
