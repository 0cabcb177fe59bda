"""A small Hugging Face Hub on 127.0.0.1 for tests: the endpoints huggingface_hub's
client calls to create a repo, commit files, list a revision and download files. As the
Hub does, it wants a known token for every write (TOKENS: token -> user), puts a repo id
without a namespace under the token's user, hides private repos from anyone but their
owner, and takes weights and other binary files only through LFS: the preupload answer
sends them to the LFS batch endpoint, the client PUTs each object to the URL it is given,
and the commit names them by sha256; a binary file sent inline is refused. The Xet path
(a content-addressed store that hf_xet's Rust client speaks to) is not served, so the
`fake_hub` fixture (tests/conftest.py) sets HF_HUB_DISABLE_XET, as for a client without
hf_xet; the Hub takes both. Point the client at it with HF_ENDPOINT."""

import base64
import hashlib
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlparse

import yaml

REPO = r"(?P<repo>[\w.-]+/[\w.-]+)"
KIND = r"(?:models|spaces)"  # one namespace here: tests do not reuse a name across kinds
REV = r"(?P<rev>[^/]+)"
TOKENS = {"hf_fake_token_for_tests": "ana"}  # the fake_hub fixture sets HF_TOKEN to this one
# Patterns of the .gitattributes a new Hub repo starts with, for the files this project writes
LFS_SUFFIXES = (".onnx", ".keras", ".h5", ".safetensors", ".bin", ".pb", ".tflite", ".npz", ".zip", ".tar.gz")
REGULAR_LIMIT = 10 * 1024 * 1024  # the Hub sends larger files to LFS whatever their type


def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


def needs_lfs(path, size, sample):
    return path.endswith(LFS_SUFFIXES) or size > REGULAR_LIMIT or b"\0" in sample


def git_blob_id(data):
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class FakeHub:
    def __init__(self):
        self.repos = {}  # repo_id -> {"commits": [(sha, {path: bytes})] (main), "private": bool, "type": str,
        #                               "branches": {name: [(sha, files)]}, "prs": [[(sha, files)]] (refs/pr/N),
        #                               "variables": {key: value} (Spaces)}
        self.fail_commits = False  # True: every commit answers 500 (an outage, which the client retries);
        # 403: refused at once, as for a token without write access
        self.requests = []  # (method, path) of every request, for assertions
        self.commit_messages = []  # the summary of every commit, in order
        self.lfs_objects = {}  # sha256 hex -> bytes, as the LFS store holds them
        self.lfs_uploads = []  # (sha256 hex, size) of every object PUT to the store
        self.fail_lfs_uploads = False  # True: the store answers 403 to every PUT (an expired upload URL)
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

    def _history(self, repo_id, rev):
        """The commit list a branch or pull request name points into, or None."""
        repo = self.repos[repo_id]
        if rev == "main":
            return repo["commits"]
        if rev in repo["branches"]:
            return repo["branches"][rev]
        match = re.fullmatch(r"refs/pr/(\d+)", rev)
        if match and 0 < int(match.group(1)) <= len(repo["prs"]):
            return repo["prs"][int(match.group(1)) - 1]
        return None

    def open_pull_request(self, repo_id):
        """A new refs/pr/N starting from main -> N."""
        self.repos[repo_id]["prs"].append([self._resolve(repo_id, "main")])
        return len(self.repos[repo_id]["prs"])

    def _resolve(self, repo_id, rev):
        history = self._history(repo_id, rev)
        if history is not None:
            return history[-1] if history else ("0" * 40, {})  # a new repo: no files yet
        repo = self.repos[repo_id]
        every = repo["commits"] + [c for history in [*repo["prs"], *repo["branches"].values()] for c in history]
        return next((c for c in every if c[0] == rev), None)

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
                raw = urlparse(self.path).path  # matched before unquoting: a revision may be refs%2Fpr%2F1
                hub.requests.append((self.command, unquote(raw)))
                for pattern, handler in routes:
                    match = re.fullmatch(pattern, raw)
                    if match:
                        groups = {key: unquote(value) for key, value in match.groupdict().items()}
                        repo = groups.get("repo")
                        user = TOKENS.get(self.headers.get("Authorization", "").removeprefix("Bearer "))
                        if self.command == "POST" and user is None:
                            return self._send(401, {"error": "Invalid credentials in Authorization header"})
                        hidden = repo in hub.repos and hub.repos[repo]["private"] and repo.split("/")[0] != user
                        if repo is not None and (repo not in hub.repos or hidden) and "create" not in pattern:
                            return self._send(404, {"error": "Repository not found"},
                                              {"X-Error-Code": "RepoNotFound"})
                        return handler(**groups)
                self._send(404, {"error": f"no route {self.command} {unquote(raw)}"})

            def _revision(self, repo, rev):
                """(sha, files) of a revision, or None after answering 404."""
                found = hub._resolve(repo, rev)
                if found is None:
                    self._send(404, {"error": f"Invalid rev id: {rev}"}, {"X-Error-Code": "RevisionNotFound"})
                return found

            def _body(self):
                if self.headers.get("Transfer-Encoding", "").lower() != "chunked":
                    return self.rfile.read(int(self.headers.get("Content-Length", 0)))
                chunks = []  # a streamed upload (a file object's PUT) comes in chunks
                while size := int(self.rfile.readline().split(b";")[0], 16):
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
                self.rfile.readline()
                return b"".join(chunks)

            def do_POST(self):
                self._route([
                    (r"/api/repos/create", self.create_repo),
                    (r"/api/validate-yaml", self.validate_yaml),
                    (rf"/api/{KIND}/{REPO}/preupload/{REV}", self.preupload),
                    (rf"/api/{KIND}/{REPO}/commit/{REV}", self.commit),
                    (rf"/api/{KIND}/{REPO}/branch/{REV}", self.create_branch),
                    (rf"/api/{KIND}/{REPO}/discussions", self.create_pull_request),
                    (rf"/api/spaces/{REPO}/variables", self.add_variable),
                    (rf"/(?:spaces/)?{REPO}\.git/info/lfs/objects/batch", self.lfs_batch),
                    (r"/lfs-store/verify", self.lfs_verify),
                ])

            def do_PUT(self):
                self._route([(r"/lfs-store/(?P<oid>[0-9a-f]{64})", self.lfs_put)])

            def do_GET(self):
                self._route([
                    (rf"/api/{KIND}/{REPO}/revision/{REV}", self.repo_info),
                    (rf"/api/{KIND}/{REPO}", lambda repo: self.repo_info(repo, "main")),
                    (rf"/api/{KIND}/{REPO}/tree/{REV}(?:/.*)?", self.tree),
                    (rf"/(?:spaces/)?{REPO}/resolve/{REV}/(?P<filename>.+)", self.resolve),
                    (rf"/api/{KIND}/{REPO}/discussions/(?P<num>\d+)", self.pull_request),
                ])

            do_HEAD = do_GET

            def do_DELETE(self):
                self._route([(r"/api/repos/delete", self.delete_repo)])

            def delete_repo(self):
                payload = json.loads(self._body())
                user = TOKENS.get(self.headers.get("Authorization", "").removeprefix("Bearer "))
                repo_id = f"{payload.get('organization') or user}/{payload['name']}"
                if repo_id not in hub.repos or user is None or repo_id.split("/")[0] != user:
                    return self._send(404, {"error": "Repository not found"}, {"X-Error-Code": "RepoNotFound"})
                del hub.repos[repo_id]
                self._send(200, {})

            def create_repo(self):
                payload = json.loads(self._body())
                user = TOKENS[self.headers["Authorization"].removeprefix("Bearer ")]
                repo_id = f"{payload.get('organization') or user}/{payload['name']}"
                if repo_id in hub.repos:
                    return self._send(409, {"error": "You already created this model repo", "url": f"{hub.endpoint}/{repo_id}"})
                hub.repos[repo_id] = {"commits": [], "private": payload.get("visibility") == "private",
                                      "type": payload.get("type", "model"), "sdk": payload.get("sdk"),
                                      "branches": {}, "prs": [], "variables": {}}
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
                modes = ["lfs" if needs_lfs(f["path"], f["size"], base64.b64decode(f["sample"])) else "regular"
                         for f in files]
                self._send(200, {"files": [{"path": f["path"], "uploadMode": mode, "shouldIgnore": False}
                                           for f, mode in zip(files, modes)]})

            def lfs_batch(self, repo):
                """The LFS batch API (git-lfs docs/api/batch.md): an upload action for each object
                the store lacks, none for one it holds."""
                payload = json.loads(self._body())
                if payload.get("operation") != "upload" or "basic" not in payload.get("transfers", ["basic"]):
                    return self._send(422, {"message": "this fake Hub takes basic uploads only"})
                objects = []
                for obj in payload["objects"]:
                    answer = {"oid": obj["oid"], "size": obj["size"]}
                    if obj["oid"] not in hub.lfs_objects:
                        answer["actions"] = {"upload": {"href": f"{hub.endpoint}/lfs-store/{obj['oid']}"},
                                             "verify": {"href": f"{hub.endpoint}/lfs-store/verify"}}
                    objects.append(answer)
                self._send(200, {"transfer": "basic", "objects": objects}, content_type="application/vnd.git-lfs+json")

            def lfs_put(self, oid):
                data = self._body()
                if hub.fail_lfs_uploads:
                    return self._send(403, b"<Error><Code>AccessDenied</Code></Error>", content_type="application/xml")
                if sha256_hex(data) != oid:
                    return self._send(400, {"error": "the object's sha256 is not its oid"})
                hub.lfs_objects[oid] = data
                hub.lfs_uploads.append((oid, len(data)))
                self._send(200)

            def lfs_verify(self):
                obj = json.loads(self._body())
                if obj["oid"] not in hub.lfs_objects or len(hub.lfs_objects[obj["oid"]]) != obj["size"]:
                    return self._send(404, {"message": "object not found"})
                self._send(200, {})

            def create_branch(self, repo, rev):
                self._body()
                hub.repos[repo]["branches"][rev] = [hub._resolve(repo, "main")]
                self._send(200, {})

            def create_pull_request(self, repo):
                if not json.loads(self._body()).get("pullRequest"):
                    return self._send(400, {"error": "this fake Hub opens pull requests only"})
                self._send(200, {"num": hub.open_pull_request(repo)})

            def pull_request(self, repo, num):
                if not 0 < int(num) <= len(hub.repos[repo]["prs"]):
                    return self._send(404, {"error": "Discussion not found"})
                self._send(200, {"title": "Upload", "num": int(num), "createdAt": "2026-01-01T00:00:00.000Z",
                                 "status": "draft", "repo": {"name": repo, "type": "model"}, "isPullRequest": True,
                                 "events": [], "changes": {"base": "refs/heads/main"}, "filesWithConflicts": []})

            def commit(self, repo, rev):
                body = self._body()
                if hub.fail_commits == 403:
                    return self._send(403, {"error": "You don't have the rights to create a commit"})
                if hub.fail_commits:
                    return self._send(500, {"error": "Internal Error - We're working hard to fix this as soon as possible!"})
                create_pr = parse_qs(urlparse(self.path).query).get("create_pr") == ["1"]
                commits = hub._history(repo, rev)
                if commits is None:
                    return self._send(404, {"error": f"Invalid rev id: {rev}"}, {"X-Error-Code": "RevisionNotFound"})
                files = dict(commits[-1][1]) if commits else {}
                for line in body.splitlines():
                    item = json.loads(line)
                    if item["key"] == "file":
                        data = base64.b64decode(item["value"]["content"])
                        if needs_lfs(item["value"]["path"], len(data), data[:512]):
                            return self._send(400, {"error": f"Your push was rejected because it contains binary "
                                                             f"files ({item['value']['path']}): use LFS"})
                        files[item["value"]["path"]] = data
                    elif item["key"] == "lfsFile":
                        if item["value"]["oid"] not in hub.lfs_objects:
                            return self._send(400, {"error": f"LFS object {item['value']['oid']} was never uploaded"})
                        files[item["value"]["path"]] = hub.lfs_objects[item["value"]["oid"]]
                    elif item["key"] == "deletedFile":
                        files.pop(item["value"]["path"], None)
                    elif item["key"] == "header":
                        hub.commit_messages.append(item["value"]["summary"])
                    else:
                        return self._send(400, {"error": f"this fake Hub does not take {item['key']!r}"})
                sha = hashlib.sha1(body + str(len(commits)).encode() + rev.encode()).hexdigest()
                pr_url = None
                if create_pr:  # the commit goes to a new refs/pr/N, and the branch is left as it was
                    number = hub.open_pull_request(repo)
                    commits = hub.repos[repo]["prs"][number - 1]
                    pr_url = f"{hub.endpoint}/{repo}/discussions/{number}"
                commits.append((sha, files))
                self._send(200, {"commitUrl": f"{hub.endpoint}/{repo}/commit/{sha}", "commitOid": sha,
                                 "pullRequestUrl": pr_url})

            def add_variable(self, repo):
                payload = json.loads(self._body())
                hub.repos[repo]["variables"][payload["key"]] = payload["value"]
                self._send(200, {key: {"value": value} for key, value in hub.repos[repo]["variables"].items()})

            def repo_info(self, repo, rev):
                if (found := self._revision(repo, rev)) is None:
                    return
                sha, files = found
                self._send(200, {"id": repo, "modelId": repo, "sha": sha, "private": hub.repos[repo]["private"],
                                 "siblings": [{"rfilename": name} for name in files]})

            def tree(self, repo, rev):
                if (found := self._revision(repo, rev)) is None:
                    return
                _, files = found
                entries = []
                for name, data in sorted(files.items()):
                    entry = {"type": "file", "path": name, "size": len(data), "oid": git_blob_id(data)}
                    if sha256_hex(data) in hub.lfs_objects:
                        entry["lfs"] = {"oid": sha256_hex(data), "size": len(data), "pointerSize": 134}
                    entries.append(entry)
                self._send(200, entries)

            def resolve(self, repo, rev, filename):
                if (found := self._revision(repo, rev)) is None:
                    return
                sha, files = found
                if filename not in files:
                    return self._send(404, {"error": "Entry not found"}, {"X-Error-Code": "EntryNotFound"})
                data = files[filename]
                headers = {"X-Repo-Commit": sha, "ETag": f'"{git_blob_id(data)}"'}
                if sha256_hex(data) in hub.lfs_objects:  # as the Hub's redirect to its CDN says of an LFS file
                    headers.update({"X-Linked-Etag": f'"{sha256_hex(data)}"', "X-Linked-Size": str(len(data))})
                self._send(200, data, headers, content_type="application/octet-stream")

        return Handler
