"""What ChatSambaNova declares to langchain-tests' standard suites.

One place for the capabilities both the unit and the integration suite
declare, so the two can never disagree about what the model supports.
"""

from __future__ import annotations

from langchain_provider import ChatSambaNova


class SambaNovaCapabilities:
    """Mixin for ``ChatModelUnitTests`` and ``ChatModelIntegrationTests``."""

    @property
    def chat_model_class(self) -> type[ChatSambaNova]:
        return ChatSambaNova

    @property
    def has_tool_calling(self) -> bool:
        return True

    @property
    def has_tool_choice(self) -> bool:
        return True

    @property
    def has_structured_output(self) -> bool:
        return True

    @property
    def supports_json_mode(self) -> bool:
        return True

    @property
    def supports_image_inputs(self) -> bool:
        return True

    @property
    def supports_image_urls(self) -> bool:
        # The service takes base64 data URLs only.
        return False

    @property
    def returns_usage_metadata(self) -> bool:
        return True

    @property
    def model_override_value(self) -> str:
        return "gpt-oss-120b"
