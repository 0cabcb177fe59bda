"""What a client may send to an event: which files it may name, how much data a request
may carry, and what it hears back about a value of the wrong type.

Gradio serves every event over HTTP, the private ones too, and a client can send any
JSON. It can name any server path in an image payload (Gradio checks a payload's path
only when it carries its "meta" marker), or send a file inline as a `data:` URL, past
the upload size limit that Gradio applies to /upload only. `guard_inputs` makes every
input component of a page accept nothing but files in Gradio's upload cache (uploads,
and the examples Gradio copied there) and inline data within the limit, never a web
address for the server to fetch, and turns a
value its component cannot take (a word for a slider) into a message instead of a bare
"Error". `BodyLimit` turns away request bodies over the limit before they are read into
memory.
"""

import base64
import binascii
import mimetypes
from pathlib import Path

import gradio as gr
from gradio import processing_utils, utils
from gradio_client import utils as client_utils
from gradio.data_classes import GradioRootModel
from pydantic import ValidationError

from space.console import user_error

NOT_UPLOADED = "This file was not uploaded to the app; upload it first."
MALFORMED = ('A file in this request is malformed: send {"path": an uploaded file\'s path, "meta": '
             '{"_type": "gradio.FileData"}}, or an inline data: URL.')
NO_WEB_ADDRESSES = "The app does not fetch files from web addresses; upload the file, or send it inline as a data: URL."


def guard_inputs(demo):
    """Wrap the preprocessing of every component of `demo`: the files in its payload are
    checked before Gradio's own preprocessing opens them (inline data against the limit
    that `demo.launch(max_file_size=...)` sets), and what it raises for a value of the
    wrong type becomes a message naming the input."""
    for block in demo.blocks.values():
        if isinstance(block, gr.components.Component):
            block.preprocess = _checked(block, block.preprocess, demo)
            block.move_resource_to_block_cache = _no_web_addresses(block.move_resource_to_block_cache)
            block.async_move_resource_to_block_cache = _no_web_addresses(block.async_move_resource_to_block_cache)
    demo.preprocess_data = _malformed_is_a_message(demo.preprocess_data)
    _guard_mcp_inline_files()


def _malformed_is_a_message(preprocess_data):
    """Gradio validates a file payload's shape before any component's preprocessing: a
    malformed one (no path, no meta, a list for an object) ended as a bare "Error" and a
    traceback in the log for each request. It becomes a message, logged as one line."""
    async def checked(block_fn, inputs, state, explicit_call=False):
        try:
            return await preprocess_data(block_fn, inputs, state, explicit_call)
        except gr.Error:  # a ValueError too: ours, already a message
            raise
        except (ValidationError, TypeError, ValueError, KeyError, AttributeError):
            raise user_error(MALFORMED) from None
    return checked


def _guard_mcp_inline_files():
    """Gradio's MCP layer writes a tool call's inline `data:` file into its cache before
    anything checks its size, and its refusal then names that cache file. The MCP server
    exists only once the app launches, so its class is wrapped (once per process): inline
    data over the app's upload limit is refused before anything is written, and an
    argument that is neither inline data nor a web address is refused without repeating it."""
    try:
        from gradio.mcp import GradioMCPServer
    except ImportError:  # gradio without its mcp extra serves no MCP
        return
    convert = GradioMCPServer.convert_strings_to_filedata
    if getattr(convert, "checks_size", False):
        return

    def checked(self, value, filedata_positions):
        for text in _strings(value):
            if text.startswith("data:"):
                _check_inline_size(text.partition(",")[2], getattr(self.blocks, "max_file_size", None))
        try:
            return convert(self, value, filedata_positions)
        except gr.Error:
            raise
        except ValueError:  # Gradio's own words repeat the argument, a path perhaps
            raise user_error("A file argument must be an inline data: URL (base64).") from None

    checked.checks_size = True
    GradioMCPServer.convert_strings_to_filedata = checked


def _strings(value):
    """Every string in a JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _no_web_addresses(move):
    """Gradio downloads a payload's http(s) path into its cache before any preprocessing
    (for an MCP tool call, or any client that sends one): a request could make the server
    fetch a file of any size from anywhere public. Refused, for inputs and outputs alike:
    the app's own outputs are local files."""
    def moved(url_or_file_path):
        if client_utils.is_http_url_like(str(url_or_file_path or "")):
            raise user_error(NO_WEB_ADDRESSES)
        return move(url_or_file_path)
    return moved


def _checked(block, preprocess, demo):
    takes_files = getattr(block, "data_model", None) is not None
    # a style slider's label is its value alone ("2d"): its message names the group too
    name = getattr(block, "message_name", None) or (block.label or type(block).__name__).split(":")[0]
    if isinstance(block, (gr.Slider, gr.Number)) and block.minimum is not None and block.maximum is not None:
        name += f" (a number from {block.minimum:g} to {block.maximum:g})"

    def checked(payload):
        if takes_files:
            _check_files(payload, getattr(demo, "max_file_size", None))
        try:
            return preprocess(payload)
        except gr.Error as e:
            if e.print_exception:  # Gradio's own (out of range, a file type): one line in the log, too
                raise user_error(e.message if takes_files else f"{name}: {e.message}") from None
            raise
        except Exception:  # noqa: BLE001 - Gradio's checks raise TypeError, ValueError, ...
            value = "this file" if takes_files else repr(payload)  # a file's repr holds its server path
            raise user_error(f"{name} cannot take {value[:60]}{'...' if len(value) > 60 else ''}") from None
    return checked


def _check_files(payload, limit):
    """Walk a component's payload (FileData, ImageData, lists and nested models of them)."""
    if isinstance(payload, GradioRootModel):
        _check_files(payload.root, limit)
    elif isinstance(payload, (list, tuple)):
        for item in payload:
            _check_files(item, limit)
    elif hasattr(payload, "path") and hasattr(payload, "url"):
        if payload.url and payload.url.startswith("data:"):
            payload.path, payload.url = _save_inline(payload.url, payload.orig_name, limit), None
        if not payload.path or not utils.is_in_or_equal(payload.path, utils.get_upload_folder()):
            raise user_error(NOT_UPLOADED)  # the same words whether the path exists or not
    elif hasattr(payload, "model_fields"):
        for name in type(payload).model_fields:
            _check_files(getattr(payload, name), limit)


def _save_inline(url, name, limit):
    """A `data:...;base64,...` URL within `limit` bytes -> its file in the upload cache."""
    header, _, data = url.partition(",")
    if not header.endswith(";base64"):
        raise user_error("Inline files must be base64 data: URLs.")
    _check_inline_size(data, limit)
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise user_error("The inline file is not valid base64.") from None
    suffix = mimetypes.guess_extension(header[len("data:"):-len(";base64")]) or ".bin"
    name = Path(name).name if name else f"inline{suffix}"
    return processing_utils.save_bytes_to_cache(raw, name, utils.get_upload_folder())


def _check_inline_size(base64_data, limit):
    """Refuse inline base64 data that decodes to more than `limit` bytes (None: no limit), before decoding it."""
    if limit is not None and len(base64_data) * 3 // 4 > limit:
        raise user_error(f"The file is larger than the upload limit of {describe_size(limit)}.")


def describe_size(size):
    """2097152 -> '2 MB' (Gradio's units are powers of 1024)."""
    for unit, factor in (("GB", 1024 ** 3), ("MB", 1024 ** 2), ("KB", 1024)):
        if size >= factor:
            return f"{size / factor:.3g} {unit}"
    return f"{size} bytes"


class BodyLimit:
    """ASGI middleware: a request whose body is over the limit gets 413 before it is read
    (by its Content-Length, or as it streams in). Uploads go to Gradio's /upload, which
    limits each file itself; every other request is JSON, whose largest legitimate
    payload is one inline file: base64, 4/3 of the upload limit (`demo.max_file_size`,
    as launch set it; None: no limit), plus room for the other inputs."""

    def __init__(self, app, demo):
        self.app, self.demo = app, demo

    def max_bytes(self):
        limit = getattr(self.demo, "max_file_size", None)
        return None if limit is None else limit * 4 // 3 + 1024 * 1024

    async def __call__(self, scope, receive, send):
        max_bytes = self.max_bytes() if scope["type"] == "http" and not scope["path"].endswith("/upload") else None
        if max_bytes is None:
            return await self.app(scope, receive, send)
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > max_bytes:
            return await _refuse(send, max_bytes)
        seen = 0

        async def counted():
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > max_bytes:
                raise RequestTooLarge()
            return message

        try:
            await self.app(scope, counted, send)
        except RequestTooLarge:
            await _refuse(send, max_bytes)


class RequestTooLarge(Exception):
    """Raised inside BodyLimit when a streamed body passes the limit."""


async def _refuse(send, max_bytes):
    body = f"Request body over the limit of {describe_size(max_bytes)}.".encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
