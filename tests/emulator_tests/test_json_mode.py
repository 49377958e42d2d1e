"""JSON mode: the emulator answers with an object fitting the prompt's schema."""

from __future__ import annotations

import json

import jsonschema
from langchain_core.output_parsers import PydanticOutputParser
from pydantic import BaseModel, Field

from langchain_provider import ChatSambaNova

from .helpers import complete


class Person(BaseModel):
    """A person."""

    name: str = Field(description="The person's name")
    age: int = Field(ge=0, description="Age in years")
    email: str | None = None


def test_with_structured_output_json_mode_parses_against_the_emulator(emu):
    # LangChain's json_mode prompt: the parser's format instructions carry
    # the schema (after an example schema) as JSON in the user's text.
    parser = PydanticOutputParser(pydantic_object=Person)
    prompt = (
        f'Tell me about "Ada Lovelace", aged 36.\n{parser.get_format_instructions()}'
    )
    llm = ChatSambaNova(base_url=emu.base_url)
    person = llm.with_structured_output(Person, method="json_mode").invoke(prompt)
    assert isinstance(person, Person)
    assert person.name == "Ada Lovelace"  # filled from the user's words
    assert person.age == 36
    [request] = emu.requests
    assert request.body["response_format"] == {"type": "json_object"}


def test_schema_in_the_system_message_is_followed(emu, client):
    schema = Person.model_json_schema()
    messages = [
        {"role": "system", "content": f"Answer as JSON matching {json.dumps(schema)}"},
        {"role": "user", "content": "Who wrote the first program?"},
    ]
    response = client.post(
        f"{emu.base_url}/chat/completions",
        json={
            "model": "Meta-Llama-3.3-70B-Instruct",
            "messages": messages,
            "response_format": {"type": "json_object"},
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    value = json.loads(body["choices"][0]["message"]["content"])
    jsonschema.validate(value, schema)
    assert set(value) >= {"name", "age"}


def test_keys_named_in_the_prompt_are_the_object_keys(emu, client):
    # The prompt of langchain-tests' test_json_mode.
    prompt = (
        "Tell me a joke about cats. Return the result as a JSON with 'setup' and "
        "'punchline' keys. Return nothing other than JSON."
    )
    body = complete(
        client, emu, response_format={"type": "json_object"}, content=prompt
    )
    value = json.loads(body["choices"][0]["message"]["content"])
    assert sorted(value) == ["punchline", "setup"]
    assert all(isinstance(v, str) and v for v in value.values())


def test_without_a_schema_the_reply_is_wrapped_as_answer(emu, client):
    body = complete(client, emu, response_format={"type": "json_object"})
    value = json.loads(body["choices"][0]["message"]["content"])
    assert value == {"answer": "Emulated reply to: What is 2+2?"}


def test_json_objects_that_are_not_schemas_are_ignored(emu, client):
    prompt = 'Echo {"properties": {"foo": ["bar"]}} back, please.'
    body = complete(
        client, emu, response_format={"type": "json_object"}, content=prompt
    )
    value = json.loads(body["choices"][0]["message"]["content"])
    assert list(value) == ["answer"]
