"""A webhook receiver for the outbox test (APIWebhookTests): listens on 127.0.0.1:<port>, checks each
delivery's KPI-Signature with its own HMAC-SHA256 (Python's hmac, not the server's code), and appends
one JSON line per delivery to <log>: the event id, type, whether the signature held. With
--fail-first N it answers 500 to the first N deliveries after recording them (a lost acknowledgement:
the sender must try again, the receiver dedupes by event id); with --redirect URL it answers 307 there.
    python3 webhook_receiver.py PORT LOG SECRET [--fail-first N] [--redirect URL]
"""
import hashlib
import hmac
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

PORT, LOG, SECRET = int(sys.argv[1]), sys.argv[2], sys.argv[3].encode()
FAIL_FIRST = int(sys.argv[sys.argv.index("--fail-first") + 1]) if "--fail-first" in sys.argv else 0
REDIRECT = sys.argv[sys.argv.index("--redirect") + 1] if "--redirect" in sys.argv else None
seen = 0


def verify(header, body):
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    expected = hmac.new(SECRET, parts.get("t", "").encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts.get("v1", ""))


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        global seen
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        event = json.loads(body)
        ok = verify(self.headers.get("KPI-Signature", ""), body)
        with open(LOG, "a") as f:
            f.write(json.dumps({"id": event["id"], "header": self.headers.get("KPI-Event-Id"), "type": event["type"],
                                "signed": ok, "at": time.time()}) + "\n")
        seen += 1
        status = 500 if seen <= FAIL_FIRST else (200 if ok else 401)
        if REDIRECT:
            status = 307
        self.send_response(status)
        if REDIRECT:
            self.send_header("Location", REDIRECT)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


HTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
