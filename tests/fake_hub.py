"""A small Hugging Face Hub on 127.0.0.1 for tests: the endpoints huggingface_hub's
client calls to create a repo, commit files (uploaded inline as "regular" files, so no
LFS or Xet storage is involved), list a revision and download files. Point the client
at it with HF_ENDPOINT (see `hub_endpoint` in tests/test_hub_push.py)."""

import base64
import hashlib
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlparse

import yaml

REPO = r"(?P<repo>[\w.-]+/[\w.-]+)"
KIND = r"(?:models|spaces)"  # one namespace here: tests do not reuse a name across kinds
REV = r"(?P<rev>[^/]+)"


def git_blob_id(data):
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class FakeHub:
    def __init__(self):
        self.repos = {}  # repo_id -> {"commits": [(sha, {path: bytes})], "private": bool, "type": str,
        #                               "variables": {key: value} (Spaces)}
        self.fail_commits = False  # True: every commit answers 500 (an outage, which the client retries);
        # 403: refused at once, as for a token without write access
        self.requests = []  # (method, path) of every request, for assertions
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def files(self, repo_id, rev="main"):
        return self._resolve(repo_id, rev)[1]

    def commit_count(self, repo_id):
        return len(self.repos[repo_id]["commits"])

    def _resolve(self, repo_id, rev):
        commits = self.repos[repo_id]["commits"]
        if rev == "main":
            return commits[-1] if commits else ("0" * 40, {})  # a new repo: no files yet
        return next(c for c in commits if c[0] == rev)

    def _handler_class(hub):  # noqa: N805 - the handler closes over the hub
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status, body=b"", headers=None, content_type="application/json"):
                if not isinstance(body, bytes):
                    body = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _route(self, routes):
                path = unquote(urlparse(self.path).path)
                hub.requests.append((self.command, path))
                for pattern, handler in routes:
                    match = re.fullmatch(pattern, path)
                    if match:
                        repo = match.groupdict().get("repo")
                        if repo is not None and repo not in hub.repos and "create" not in pattern:
                            return self._send(404, {"error": "Repository not found"},
                                              {"X-Error-Code": "RepoNotFound"})
                        return handler(**match.groupdict())
                self._send(404, {"error": f"no route {self.command} {path}"})

            def _body(self):
                return self.rfile.read(int(self.headers.get("Content-Length", 0)))

            def do_POST(self):
                self._route([
                    (r"/api/repos/create", self.create_repo),
                    (r"/api/validate-yaml", self.validate_yaml),
                    (rf"/api/{KIND}/{REPO}/preupload/{REV}", self.preupload),
                    (rf"/api/{KIND}/{REPO}/commit/{REV}", self.commit),
                    (rf"/api/spaces/{REPO}/variables", self.add_variable),
                ])

            def do_GET(self):
                self._route([
                    (rf"/api/{KIND}/{REPO}/revision/{REV}", self.repo_info),
                    (rf"/api/{KIND}/{REPO}/tree/{REV}(?:/.*)?", self.tree),
                    (rf"/(?:spaces/)?{REPO}/resolve/{REV}/(?P<filename>.+)", self.resolve),
                ])

            do_HEAD = do_GET

            def create_repo(self):
                payload = json.loads(self._body())
                repo_id = f"{payload['organization']}/{payload['name']}"
                if repo_id in hub.repos:
                    return self._send(409, {"error": "You already created this model repo", "url": f"{hub.endpoint}/{repo_id}"})
                hub.repos[repo_id] = {"commits": [], "private": payload.get("visibility") == "private",
                                      "type": payload.get("type", "model"), "sdk": payload.get("sdk"),
                                      "variables": {}}
                self._send(200, {"url": f"{hub.endpoint}/{repo_id}", "name": repo_id})

            def validate_yaml(self):
                """The Hub checks a README's metadata before committing it: here, that it is a YAML mapping."""
                content = json.loads(self._body())["content"]
                match = re.match(r"---\n(.*?)\n---\n", content, re.S)
                metadata = yaml.safe_load(match.group(1)) if match else None
                if not isinstance(metadata, dict):
                    return self._send(400, {"errors": [{"message": "README.md metadata is not a YAML mapping"}]})
                self._send(200, {"warnings": []})

            def preupload(self, repo, rev):
                files = json.loads(self._body())["files"]
                self._send(200, {"files": [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False}
                                           for f in files]})

            def commit(self, repo, rev):
                body = self._body()
                if hub.fail_commits == 403:
                    return self._send(403, {"error": "You don't have the rights to create a commit"})
                if hub.fail_commits:
                    return self._send(500, {"error": "Internal Error - We're working hard to fix this as soon as possible!"})
                commits = hub.repos[repo]["commits"]
                files = dict(commits[-1][1]) if commits else {}
                for line in body.splitlines():
                    item = json.loads(line)
                    if item["key"] == "file":
                        files[item["value"]["path"]] = base64.b64decode(item["value"]["content"])
                    elif item["key"] == "deletedFile":
                        files.pop(item["value"]["path"], None)
                    elif item["key"] != "header":
                        return self._send(400, {"error": f"this fake Hub does not take {item['key']!r}"})
                sha = hashlib.sha1(body + str(len(commits)).encode()).hexdigest()
                commits.append((sha, files))
                self._send(200, {"commitUrl": f"{hub.endpoint}/{repo}/commit/{sha}", "commitOid": sha,
                                 "pullRequestUrl": None})

            def add_variable(self, repo):
                payload = json.loads(self._body())
                hub.repos[repo]["variables"][payload["key"]] = payload["value"]
                self._send(200, {key: {"value": value} for key, value in hub.repos[repo]["variables"].items()})

            def repo_info(self, repo, rev):
                sha, files = hub._resolve(repo, rev)
                self._send(200, {"id": repo, "modelId": repo, "sha": sha, "private": hub.repos[repo]["private"],
                                 "siblings": [{"rfilename": name} for name in files]})

            def tree(self, repo, rev):
                _, files = hub._resolve(repo, rev)
                self._send(200, [{"type": "file", "path": name, "size": len(data), "oid": git_blob_id(data)}
                                 for name, data in sorted(files.items())])

            def resolve(self, repo, rev, filename):
                sha, files = hub._resolve(repo, rev)
                if filename not in files:
                    return self._send(404, {"error": "Entry not found"}, {"X-Error-Code": "EntryNotFound"})
                data = files[filename]
                self._send(200, data, {"X-Repo-Commit": sha, "ETag": f'"{git_blob_id(data)}"'},
                           content_type="application/octet-stream")

        return Handler
