"""helper: send one event to a running Gradio app as any HTTP client can, with any JSON
(the queue's join and data routes, which every event, private or public, goes through);
upload a file, leave an event half-way, call its MCP tools."""

import asyncio
import json
import uuid

import httpx


def config(url):
    """The page's /config: its components and its events ("dependencies")."""
    return httpx.get(url + "config", timeout=30).json()


def call(url, fn_index, data, timeout=120):
    """-> ('data', outputs) or ('error', message) for event `fn_index` with inputs `data`."""
    session = uuid.uuid4().hex
    with httpx.Client(timeout=timeout) as client:
        joined = client.post(url + "gradio_api/queue/join", json={"data": data, "fn_index": fn_index,
                                                                   "session_hash": session})
        joined.raise_for_status()
        event_id = joined.json()["event_id"]
        with client.stream("GET", url + "gradio_api/queue/data", params={"session_hash": session}) as stream:
            for line in stream.iter_lines():
                message = json.loads(line[5:]) if line.startswith("data:") else {}
                if message.get("msg") == "process_completed" and message.get("event_id") == event_id:
                    output = message["output"]
                    return ("data", output["data"]) if message["success"] else ("error", output.get("error"))
    raise RuntimeError(f"event {fn_index} never completed")


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
        joined = client.post(url + "gradio_api/queue/join", json={"data": data, "fn_index": fn_index,
                                                                   "session_hash": session})
        joined.raise_for_status()
        with client.stream("GET", url + "gradio_api/queue/data", params={"session_hash": session}) as stream:
            for line in stream.iter_lines():
                message = json.loads(line[5:]) if line.startswith("data:") else {}
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
