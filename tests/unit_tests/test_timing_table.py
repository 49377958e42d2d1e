"""The demo's timing table: rows, units, step numbering and the headline."""

from __future__ import annotations

from uuid import uuid4

from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration, LLMResult

from langchain_provider._timing_table import (
    CallTimer,
    CallTiming,
    headline,
    table_lines,
)

SERVER = {
    "time_to_first_token": 0.12,
    "model_execution_time": 0.17,
    "throughput_after_first_token": 251.37,
}


def _call(label: str, wall: float, ttft: float | None = None) -> CallTiming:
    return CallTiming(label, dict(SERVER), client_ttft=ttft, client_wall=wall)


def test_rows_name_units_and_number_repeated_labels() -> None:
    lines = table_lines(
        [_call("agent", 0.18), _call("agent", 0.19), _call("s", 0.2, 0.13)]
    )
    header = [" ".join(cells).split() for cells in lines[:3]]
    assert header[2] == ["(ms)"] * 5 + ["(tok/s)"]
    rows = [[cell.strip() for cell in line] for line in lines[4:]]
    assert [row[0] for row in rows] == ["agent step 1", "agent step 2", "s"]
    assert rows[0][1:] == ["120.0", "-", "170.0", "180.0", "10.0", "251"]
    assert rows[2][2] == "130.0"


def test_queue_column_only_when_reported() -> None:
    call = _call("invoke", 0.2)
    assert len(table_lines([call])[0]) == 7
    call.server["queue_time"] = 0.001
    assert table_lines([call])[2][-1].strip() == "(ms)"
    assert table_lines([call])[4][-1].strip() == "1.0"


def test_headline_medians() -> None:
    text = headline([_call("a", 0.18), _call("b", 0.19, ttft=0.125), _call("c", 0.3)])
    assert "170 ms per call (median)" in text
    assert "added 20.0 ms on top (10.0 to 130.0 ms)" in text
    assert "5.0 ms after the server's TTFT" in text
    assert "nothing to compare" in headline([CallTiming("x")])


def test_timer_pairs_each_call_with_its_own_server_timing() -> None:
    timer = CallTimer()
    timer.label = "stream"
    run = uuid4()
    timer.on_chat_model_start({}, [[]], run_id=run)
    timer.on_llm_new_token("", run_id=run)  # an empty first chunk is not a token
    timer.on_llm_new_token("Hi", run_id=run)
    message = AIMessage("Hi", response_metadata={"timing": SERVER})
    timer.on_llm_end(
        LLMResult(generations=[[ChatGeneration(message=message)]]), run_id=run
    )
    [call] = timer.calls
    assert call.label == "stream"
    assert call.server == SERVER
    assert call.client_ttft is not None and call.client_wall is not None
    assert 0 <= call.client_ttft <= call.client_wall
