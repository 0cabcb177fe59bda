"""helper: send one event to a running Gradio app as any HTTP client can, with any JSON
(the queue's join and data routes, which every event, private or public, goes through)."""

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
