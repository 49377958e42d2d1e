"""``_profiles``: what LangChain knows about each model the service serves."""

from __future__ import annotations

import pytest

from langchain_provider import ChatSambaNova
from langchain_provider._profiles import MODEL_PROFILES, profile_for
from langchain_provider.emulator._config import KNOWN_MODELS

REASONING = {
    "gpt-oss-120b",
    "DeepSeek-R1-0528",
    "DeepSeek-R1-Distill-Llama-70B",
    "Qwen3-32B",
}


def test_every_emulated_model_has_a_profile() -> None:
    assert set(KNOWN_MODELS) <= set(MODEL_PROFILES)


@pytest.mark.parametrize("name", sorted(MODEL_PROFILES))
def test_each_profile_has_an_output_limit_within_its_context(name: str) -> None:
    profile = MODEL_PROFILES[name]
    assert profile["max_output_tokens"] >= 1024
    if "max_input_tokens" in profile:
        assert profile["max_output_tokens"] < profile["max_input_tokens"]


def test_reasoning_models_are_marked_and_no_others() -> None:
    marked = {n for n, p in MODEL_PROFILES.items() if p.get("reasoning_output")}
    assert marked == REASONING


def test_profile_is_a_copy_and_unknown_models_have_none() -> None:
    profile = profile_for("gpt-oss-120b")
    assert profile is not None
    profile["max_output_tokens"] = 1
    assert MODEL_PROFILES["gpt-oss-120b"]["max_output_tokens"] == 32768
    assert profile_for("no-such-model") is None


def test_the_model_exposes_its_profile() -> None:
    model = ChatSambaNova(api_key="k", model="DeepSeek-V3-0324")
    assert model.profile is not None
    assert model.profile["max_input_tokens"] == 131072
    assert model.profile["tool_calling"] is True


MEDIA_FLAGS = (
    "image_inputs",
    "image_url_inputs",
    "image_tool_message",
    "pdf_inputs",
    "pdf_tool_message",
    "audio_inputs",
    "video_inputs",
)


@pytest.mark.parametrize("name", sorted(KNOWN_MODELS))
def test_each_served_model_states_its_limits_and_every_media_flag(name: str) -> None:
    # Frameworks (deepagents) read a missing media flag as "supported".
    profile = MODEL_PROFILES[name]
    assert profile["max_input_tokens"] == KNOWN_MODELS[name]
    assert all(isinstance(profile[flag], bool) for flag in MEDIA_FLAGS)
    # The service has no file, audio or video parts and takes no image URLs.
    assert not any(
        profile[flag] for flag in ("image_url_inputs", "pdf_inputs", "pdf_tool_message")
    )
    assert not profile["audio_inputs"] and not profile["video_inputs"]
    # Images from tools reach the service only on models that take images.
    assert profile["image_tool_message"] == profile["image_inputs"]


def test_no_profile_makes_create_agent_send_tools_with_a_json_schema() -> None:
    # Unproven on the service: create_agent must use its tool strategy.
    assert not any(p.get("structured_output") for p in MODEL_PROFILES.values())


@pytest.mark.parametrize(("media", "expected"), [("move", True), ("drop", False)])
def test_image_tool_message_says_what_tool_result_media_does(
    media: str, expected: bool
) -> None:
    model = ChatSambaNova(api_key="k", model="gemma-4-31B-it", tool_result_media=media)
    assert model.profile is not None
    assert model.profile["image_tool_message"] is expected
    assert MODEL_PROFILES["gemma-4-31B-it"]["image_tool_message"] is True
