"""helper: send one event to a running Gradio app as any HTTP client can, with any JSON
(the queue's join and data routes, which every event, private or public, goes through);
stream frames into a streaming event as the webcam does; upload a file, leave an event
half-way, call its MCP tools."""

import asyncio
import contextlib
import json
import time
import uuid

import httpx


def config(url):
    """The page's /config: its components and its events ("dependencies")."""
    return httpx.get(url + "config", timeout=30).json()


def _join(client, url, body):
    """Join the queue with `body` (data, fn_index, session_hash) -> the event's id."""
    joined = client.post(url + "gradio_api/queue/join", json=body)
    joined.raise_for_status()
    return joined.json()["event_id"]


@contextlib.contextmanager
def _messages(client, url, session):
    """The session's server-sent messages, parsed (a line that carries none: {})."""
    with client.stream("GET", url + "gradio_api/queue/data", params={"session_hash": session}) as lines:
        yield (json.loads(line[5:]) if line.startswith("data:") else {} for line in lines.iter_lines())


def call(url, fn_index, data, timeout=120):
    """-> ('data', outputs) or ('error', message) for event `fn_index` with inputs `data`."""
    session = uuid.uuid4().hex
    with httpx.Client(timeout=timeout) as client:
        event_id = _join(client, url, {"data": data, "fn_index": fn_index, "session_hash": session})
        with _messages(client, url, session) as messages:
            for message in messages:
                if message.get("msg") == "process_completed" and message.get("event_id") == event_id:
                    output = message["output"]
                    return ("data", output["data"]) if message["success"] else ("error", output.get("error"))
    raise RuntimeError(f"event {fn_index} never completed")


def stream(url, fn_index, frames, rest=(), timeout=120):
    """Stream `frames` (payloads of the event's first input) into the streaming event
    `fn_index` as the page's webcam does: join with the first frame, post each next one to
    /stream/EVENT_ID once the answer to the last has come, then close the stream.
    rest: the event's other inputs. -> (one ('data', outputs) or ('error', message) a frame
    answered, in order, the seconds from joining to the last answer)."""
    session = uuid.uuid4().hex
    answers, pending = [], list(frames[1:])

    def body(frame):
        return {"data": [frame, *rest], "fn_index": fn_index, "session_hash": session}

    with httpx.Client(timeout=timeout) as client:
        start = time.perf_counter()
        event_id = _join(client, url, body(frames[0]))
        with _messages(client, url, session) as messages:
            for message in messages:
                if message.get("event_id") != event_id:
                    continue
                if message.get("msg") == "process_streaming":
                    answers.append(("data", message["output"]["data"]))
                    seconds = time.perf_counter() - start
                    if pending:
                        client.post(url + f"gradio_api/stream/{event_id}", json=body(pending.pop(0))).raise_for_status()
                    else:
                        client.post(url + f"gradio_api/stream/{event_id}/close").raise_for_status()
                elif message.get("msg") == "process_completed":
                    if not message["success"]:
                        answers.append(("error", message["output"].get("error")))
                        seconds = time.perf_counter() - start
                    return answers, seconds
    raise RuntimeError(f"stream {fn_index} never completed")


def event_of(url, elem_id):
    """(fn_index, the event's config) of the event whose first input has `elem_id`."""
    page = config(url)
    component = next(c["id"] for c in page["components"] if c["props"].get("elem_id") == elem_id)
    return next((i, e) for i, e in enumerate(page["dependencies"]) if e["inputs"][:1] == [component])


def file_events(url):
    """[(fn_index, api_name, inputs)] of every event with an image or file input, inputs as
    [(component type, its default value)]."""
    page = config(url)
    components = {c["id"]: c for c in page["components"]}
    events = []
    for index, event in enumerate(page["dependencies"]):
        inputs = [(components[i]["type"], components[i]["props"].get("value")) for i in event["inputs"]]
        if any(kind in ("image", "file", "video") for kind, _ in inputs):
            events.append((index, event.get("api_name"), inputs))
    return events


def upload(url, path):
    """Upload a file as the page does; -> its path in the server's upload cache."""
    with open(path, "rb") as f:
        response = httpx.post(url + "gradio_api/upload", files={"files": (path.name, f)}, timeout=60)
    response.raise_for_status()
    return response.json()[0]


def start_and_leave(url, fn_index, data, after_message="progress", timeout=120):
    """Join event `fn_index` and follow it until its first `after_message`, then close the
    connection as a closed tab does. -> the messages seen."""
    session = uuid.uuid4().hex
    seen = []
    with httpx.Client(timeout=timeout) as client:
        _join(client, url, {"data": data, "fn_index": fn_index, "session_hash": session})
        with _messages(client, url, session) as messages:
            for message in messages:
                seen.append(message.get("msg"))
                if message.get("msg") in (after_message, "process_completed"):
                    break
    return seen


def mcp(url, *calls):
    """(tools, results): the MCP endpoint's tool list, then each (tool, arguments) called."""
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    async def session():
        async with streamable_http_client(url + "gradio_api/mcp/") as (read, write, _):
            async with ClientSession(read, write) as client:
                await client.initialize()
                tools = (await client.list_tools()).tools
                return tools, [await client.call_tool(name, arguments) for name, arguments in calls]
    return asyncio.run(session())
