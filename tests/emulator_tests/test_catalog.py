"""``GET /v1/models``: every served model with context, output limit and prices."""

from __future__ import annotations

from langchain_provider.emulator._catalog import MODEL_LIMITS
from langchain_provider.emulator._config import KNOWN_MODELS


def test_models_list_in_the_vendor_sdk_shape(emu, client):
    response = client.get(f"{emu.base_url}/models")
    assert response.status_code == 200
    payload = response.json()
    assert payload["object"] == "list"
    by_id = {entry["id"]: entry for entry in payload["data"]}
    assert set(by_id) == set(KNOWN_MODELS)
    entry = by_id["DeepSeek-V3.2"]
    assert entry == {
        "id": "DeepSeek-V3.2",
        "object": "model",
        "owned_by": "emulator",
        "context_length": 32768,
        "max_completion_tokens": 7168,
        "pricing": {"prompt": "0.0000045", "completion": "0.00001"},
    }
    for name, item in by_id.items():
        assert item["context_length"] == KNOWN_MODELS[name]
        assert item["max_completion_tokens"] == MODEL_LIMITS[name][0]
        assert float(item["pricing"]["prompt"]) > 0


def test_models_named_in_the_config_get_a_default_limit_and_no_price(emu, client):
    emu.config.models = {"tiny": 20}
    [entry] = client.get(f"{emu.base_url}/models").json()["data"]
    assert entry["id"] == "tiny"
    assert entry["context_length"] == 20
    assert entry["max_completion_tokens"] == 8192
    assert "pricing" not in entry


def test_models_need_the_key_when_one_is_configured(emu, client):
    emu.config.api_key = "secret"
    assert client.get(f"{emu.base_url}/models").status_code == 401
    ok = client.get(
        f"{emu.base_url}/models", headers={"authorization": "Bearer secret"}
    )
    assert ok.status_code == 200
