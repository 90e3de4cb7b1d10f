"""Aiven-like service nodes: HTTPS + basic auth, certificate for the DNS name only.

Aiven's node certificates name the service host, not the node IPs, so a Prometheus that
scrapes per-IP targets must set `tls_config.server_name`. These nodes reproduce that: the
certificate's SAN holds ONLY the DNS names given (no IP SANs), signed by a per-test project CA.

    AivenNode(ca, ["pg-orders-acme.aiven.test"], ip="127.0.0.2" or "fd00::2", port=0,
              username="prom", password="secret", node_name=None, service=None, netns=None)

`netns` names a network namespace to listen in (the process stays here; see sandbox.netns);
`service` is the `service` label of its metrics (default: the first DNS name).
`set_dns_names(names)` reissues the certificate for the next handshakes; `refresh`, when set,
is called with the client's SNI name at each handshake, before the certificate is chosen (the
sandbox brings the names up to date there).
"""
import base64
import hmac
import http.server
import socket
import socketserver
import ssl

import trustme

from .netns import call_in
from .util import ServedInThread


class ProjectCA(object):
    """A project CA (trustme). `.pem` is the CA certificate as text, like Aiven's project CA."""

    def __init__(self, organization_name="aiven-sandbox-project"):
        self._ca = trustme.CA(organization_name=organization_name)

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


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def server_bind(self):
        # HTTPServer's own server_bind asks reverse DNS for the address (getfqdn): a wait on
        # the machine's resolver that a node never needs, unreachable from inside a namespace.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]


class _Server6(_Server):
    address_family = socket.AF_INET6


class AivenNode(ServedInThread):
    """One node: HTTPS on (ip, port), basic auth, /metrics naming the node.

    `port=0` lets the kernel pick (read `.port` after `start()`).
    """

    def __init__(self, ca, dns_names, ip="127.0.0.2", port=0, username="prom", password="secret",
                 node_name=None, service=None, netns=None):
        self.ca = ca
        self.dns_names = list(dns_names)
        self.ip = ip
        self.port = port
        self.username = username
        self.password = password
        self.node_name = node_name or "%s-%s" % (self.dns_names[0], ip)
        self.service = service or self.dns_names[0]
        self.netns = netns
        self.requests = self.scrapes = self.unauthorized = 0
        self.refresh = None
        self._context = None

    @property
    def address(self):
        """host:port as Prometheus writes a target ([v6]:port for IPv6)."""
        return ("[%s]:%d" if ":" in self.ip else "%s:%d") % (self.ip, self.port)

    def metrics_text(self):
        return (
            "# HELP aiven_sandbox_node_info A node of the sandbox's Aiven-like service.\n"
            "# TYPE aiven_sandbox_node_info gauge\n"
            'aiven_sandbox_node_info{node="%s",service="%s"} 1\n'
            "# HELP aiven_sandbox_scrapes_total Scrapes served by this node.\n"
            "# TYPE aiven_sandbox_scrapes_total counter\n"
            "aiven_sandbox_scrapes_total %d\n" % (self.node_name, self.service, self.scrapes)
        )

    def _new_context(self):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ca.issue(self.dns_names).configure_cert(context)
        return context

    def set_dns_names(self, dns_names):
        """Serve a certificate for `dns_names` from the next handshake on."""
        self.dns_names = list(dns_names)
        if self._context is not None:
            self._context = self._new_context()

    def _on_server_name(self, sslobj, server_name, listening_context):
        if self.refresh is not None:
            self.refresh(server_name)
        if sslobj.context is not self._context:
            sslobj.context = self._context  # the connection's certificate: the current one

    def start(self):
        # Each handshake switches to the current context once set_dns_names has replaced it.
        context = self._context = self._new_context()
        context.sni_callback = self._on_server_name
        server_class = _Server6 if ":" in self.ip else _Server
        server = call_in(self.netns, server_class, (self.ip, self.port), _Handler)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        server.node = self
        self.port = server.server_address[1]
        self._serve(server, "aiven-node-%s" % self.address)
        return self
