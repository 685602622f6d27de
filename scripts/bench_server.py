"""What the server benchmarks share: `drawdown serve --test-clock` on a free loopback port,
ready to answer, and a JSON call to it (scripts/bench-*.py)."""
import json, os, socket, subprocess, time, urllib.error, urllib.request

ADMIN = "a" * 40
CARD = os.path.join(os.path.dirname(__file__), "..", "examples", "demo-rate-card.json")


class Server:
    def __init__(self, binary, database_url):
        s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
        self.url = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            [binary, "serve", "--addr", f"127.0.0.1:{port}", "--database-url", database_url,
             "--admin-token", ADMIN, "--test-clock"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                urllib.request.urlopen(self.url + "/health"); break
            except Exception: time.sleep(0.1)
        self.card = json.load(open(CARD))

    def call(self, method, path, key, body=None, idem=None):
        h = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        if idem: h["Idempotency-Key"] = idem
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, method=method, data=data, headers=h)
        try:
            with urllib.request.urlopen(req) as r: return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e: return e.code, json.loads(e.read() or b"null")

    def stop(self):
        self.process.terminate(); self.process.wait()
