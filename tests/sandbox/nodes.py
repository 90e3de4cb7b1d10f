"""Aiven-like service nodes: HTTPS + basic auth, certificate for the DNS name only.

Aiven's node certificates name the service host, not the node IPs, so a Prometheus that
scrapes per-IP targets must set `tls_config.server_name`. These nodes reproduce that: the
certificate's SAN holds ONLY the DNS names given (no IP SANs), signed by a per-test project CA.
"""
import base64
import hmac
import http.server
import ssl
import threading

import trustme


class ProjectCA(object):
    """A project CA (trustme). `.pem` is the CA certificate as text, like Aiven's project CA."""

    def __init__(self):
        self._ca = trustme.CA(organization_name="aiven-sandbox-project")

    @property
    def pem(self):
        return self._ca.cert_pem.bytes().decode("ascii")

    def write(self, path):
        with open(str(path), "w") as handle:
            handle.write(self.pem)
        return path

    def issue(self, dns_names):
        return self._ca.issue_cert(*dns_names)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet: tests read state, not logs
        pass

    def _send(self, status, body, headers=()):
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for key, value in headers:
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        node = self.server.node
        node.requests += 1
        expected = "Basic " + base64.b64encode(("%s:%s" % (node.username, node.password)).encode()).decode()
        if node.username is not None and not hmac.compare_digest(self.headers.get("Authorization", ""), expected):
            node.unauthorized += 1
            self._send(401, "unauthorized\n", [("WWW-Authenticate", 'Basic realm="aiven"')])
            return
        if self.path.split("?")[0] != "/metrics":
            self._send(404, "not found\n")
            return
        node.scrapes += 1
        self._send(200, node.metrics_text())


class AivenNode(object):
    """One node: HTTPS on (ip, port), basic auth, /metrics naming the node.

    `port=0` lets the kernel pick (read `.port` after `start()`).
    """

    def __init__(self, ca, dns_names, ip="127.0.0.2", port=0, username="prom", password="secret",
                 node_name=None):
        self.ca = ca
        self.dns_names = list(dns_names)
        self.ip = ip
        self.port = port
        self.username = username
        self.password = password
        self.node_name = node_name or "%s-%s" % (self.dns_names[0], ip)
        self.requests = self.scrapes = self.unauthorized = 0
        self._server = None
        self._thread = None

    @property
    def address(self):
        return "%s:%d" % (self.ip, self.port)

    def metrics_text(self):
        return (
            "# HELP aiven_sandbox_node_info A node of the sandbox's Aiven-like service.\n"
            "# TYPE aiven_sandbox_node_info gauge\n"
            'aiven_sandbox_node_info{node="%s",service="%s"} 1\n'
            "# HELP aiven_sandbox_scrapes_total Scrapes served by this node.\n"
            "# TYPE aiven_sandbox_scrapes_total counter\n"
            "aiven_sandbox_scrapes_total %d\n" % (self.node_name, self.dns_names[0], self.scrapes)
        )

    def start(self):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ca.issue(self.dns_names).configure_cert(context)
        server = http.server.ThreadingHTTPServer((self.ip, self.port), _Handler)
        server.daemon_threads = True
        server.socket = context.wrap_socket(server.socket, server_side=True)
        server.node = self
        self._server = server
        self.port = server.server_address[1]
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="aiven-node-%s" % self.address, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
