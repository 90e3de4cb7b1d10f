"""An authoritative DNS server for tests, built on dnslib: one zone, A/AAAA only, UDP and TCP.

    from sandbox.dns_server import DNSServer
    dns = DNSServer(records={"pg-orders-acme.aiven.test": ["127.0.0.2", "127.0.0.3"],
                             "v6.aiven.test": ["::1"], "*.corp.example": ["127.0.0.9"]},
                    host="127.0.0.1", port=0, latency=0.0,
                    extra_listeners=[("127.0.0.1", 53, "NETNS-NAME")])
    dns.start()            # port 0 -> a free port, the SAME port for UDP and TCP
    dns.port
    dns.listeners                                # [(host, port, netns or None)], first = host/port
    dns.refresh = callable                       # called before each answer (may set_records)
    dns.set_records({...})                       # replace the zone at runtime (a node dropped)
    dns.servfail_names = {"broken.aiven.test"}   # answer SERVFAIL for these names
    dns.silent = True                            # receive queries but never answer
    dns.queries                                  # [Query(name, qtype, protocol), ...] as received
    dns.stop()

Answers follow real authoritative servers: the addresses decide A vs AAAA; an unknown name is
NXDOMAIN; a known name without records of the asked type is NOERROR with an empty answer
(dnspython's NoAnswer). A "*.zone" record answers every name under zone that has no records
of its own (RFC 4592's wildcard, without its finer points). `latency` delays every answer (a slow resolver, for the benchmark);
each query is handled in its own thread, so concurrent queries overlap as they would on a
real server. `extra_listeners` serve the same zone on more addresses, each optionally inside
a network namespace (sandbox.netns.call_in: this process keeps the sockets, nothing runs
inside), so a namespace's 127.0.0.1:53 and the controller's address answer alike.

Command line (foreground, used inside a network namespace on port 53):
    python tests/sandbox/dns_server.py --host 127.0.0.1 --port 53 --records-file F.json
F.json is {"name": ["address", ...]}. SIGHUP re-reads it; SIGTERM/SIGINT stop. Once both
sockets are bound it prints one line "listening on HOST PORT" to stdout.

Only dnslib and the standard library: the file also runs as a script outside the test tree.
"""
import argparse
import collections
import errno
import ipaddress
import json
import signal
import socket
import socketserver
import struct
import sys
import threading

from dnslib import AAAA, QTYPE, RCODE, RR, A, DNSRecord

try:
    from sandbox.netns import call_in
except ImportError:  # run as a script outside the test tree: no namespaces there
    def call_in(name, function, *args, **kwargs):
        if name is not None:
            raise RuntimeError("listening inside a network namespace needs tests/sandbox/netns.py")
        return function(*args, **kwargs)

Query = collections.namedtuple("Query", "name qtype protocol")


def _norm(name):
    return str(name).strip().rstrip(".").lower()


def parse_records(records):
    """{"name": ["addr", ...]} -> {name: {"A": [...], "AAAA": [...]}}; ValueError on a bad address."""
    zone = {}
    for name, addresses in (records or {}).items():
        if isinstance(addresses, str):
            addresses = [addresses]
        entry = zone.setdefault(_norm(name), {"A": [], "AAAA": []})
        for text in addresses:
            address = ipaddress.ip_address(text)  # raises ValueError naming the bad value
            entry["A" if address.version == 4 else "AAAA"].append(str(address))
    return zone


class _UDPServer(socketserver.ThreadingMixIn, socketserver.UDPServer):
    daemon_threads = True
    allow_reuse_address = False  # two servers must never share a UDP port


class _TCPServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True  # the usual for listeners (TIME_WAIT), no sharing without it


def _server_class(base, host):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return type(base.__name__, (base,), {"address_family": family})


class _Handler(socketserver.BaseRequestHandler):
    def handle(self):
        owner = self.server.dns_owner
        if isinstance(self.request, tuple):  # UDP: (data, socket)
            data, sock = self.request
            reply = owner.answer(data, "udp")
            if reply is not None:
                sock.sendto(reply, self.client_address)
            return
        conn = self.request  # TCP: 2-byte length prefix, possibly several queries
        while True:
            data = self._read_tcp_message(conn)
            if data is None:
                return
            reply = owner.answer(data, "tcp")
            if reply is None:
                # "never answers": keep the connection open (no EOF the client could act on)
                owner.stopped.wait(60)
                return
            conn.sendall(struct.pack("!H", len(reply)) + reply)

    @staticmethod
    def _read_tcp_message(conn):
        def read_exactly(count):
            buf = b""
            while len(buf) < count:
                chunk = conn.recv(count - len(buf))
                if not chunk:
                    return None
                buf += chunk
            return buf

        header = read_exactly(2)
        if header is None:
            return None
        return read_exactly(struct.unpack("!H", header)[0])


class DNSServer:
    def __init__(self, records=None, host="127.0.0.1", port=0, latency=0.0, ttl=60, extra_listeners=()):
        self.host = host
        self.requested_port = port
        self.port = None
        self.extra_listeners = [tuple(listener) for listener in extra_listeners]
        self.listeners = []
        self.latency = latency
        self.ttl = ttl
        self.servfail_names = set()
        self.silent = False
        self.refresh = None
        self.queries = []
        self.stopped = threading.Event()
        self._lock = threading.Lock()
        self._inflight = 0
        self.max_inflight = 0  # the most queries ever handled at the same time
        self._zone = {}
        self._servers = []
        self.set_records(records or {})

    # -- zone ----------------------------------------------------------------------------
    def set_records(self, records):
        zone = parse_records(records)
        self._zone = zone  # one assignment: readers see the old zone or the new one

    def _lookup(self, name):
        entry = self._zone.get(name)
        labels = name.split(".")
        for index in range(1, len(labels)):
            if entry is not None:
                break
            entry = self._zone.get("*." + ".".join(labels[index:]))
        return entry

    def queries_for(self, name, qtype=None, protocol=None):
        name = _norm(name)
        return [q for q in list(self.queries)
                if q.name == name and (qtype is None or q.qtype == qtype)
                and (protocol is None or q.protocol == protocol)]

    def answer(self, data, protocol):
        """The wire reply for one query, or None to stay silent."""
        try:
            request = DNSRecord.parse(data)
        except Exception:  # garbage on the wire: real servers drop it too
            return None
        name = _norm(request.q.qname)
        qtype = QTYPE.get(request.q.qtype, str(request.q.qtype))
        with self._lock:
            self.queries.append(Query(name, qtype, protocol))
            self._inflight += 1
            self.max_inflight = max(self.max_inflight, self._inflight)
        try:
            if self.silent:
                return None
            if self.latency:
                self.stopped.wait(self.latency)
            if self.refresh is not None:
                self.refresh()
            reply = request.reply()  # copies id and question; sets QR, AA, RA
            servfail = {_norm(n) for n in self.servfail_names}
            entry = self._lookup(name)
            if name in servfail:
                reply.header.rcode = RCODE.SERVFAIL
            elif entry is None:
                reply.header.rcode = RCODE.NXDOMAIN
            else:
                rdata_class = {"A": A, "AAAA": AAAA}.get(qtype)
                for address in entry.get(qtype, []):
                    reply.add_answer(RR(request.q.qname, getattr(QTYPE, qtype), rdata=rdata_class(address), ttl=self.ttl))
            return reply.pack()
        finally:
            with self._lock:
                self._inflight -= 1

    # -- lifecycle -----------------------------------------------------------------------
    @staticmethod
    def _bind(host, requested_port):
        udp_cls = _server_class(_UDPServer, host)
        tcp_cls = _server_class(_TCPServer, host)
        attempts = 1 if requested_port else 50
        last_error = None
        for dummy in range(attempts):
            udp = udp_cls((host, requested_port), _Handler)
            port = udp.server_address[1]
            try:
                tcp = tcp_cls((host, port), _Handler)
            except OSError as exc:  # the kernel's free UDP port is taken for TCP: try another
                udp.server_close()
                last_error = exc
                if exc.errno != errno.EADDRINUSE:
                    raise
                continue
            return udp, tcp, port
        raise last_error

    def start(self):
        if self._servers:
            raise RuntimeError("DNSServer already started")
        self.stopped.clear()
        try:
            for host, port, netns in [(self.host, self.requested_port, None)] + self.extra_listeners:
                udp, tcp, port = call_in(netns, self._bind, host, port)
                self.listeners.append((host, port, netns))
                for server in (udp, tcp):
                    server.dns_owner = self
                    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                                              name="dns-%s-%d" % (server.socket_type, port), daemon=True)
                    thread.start()
                    self._servers.append((server, thread))
        except BaseException:
            self.stop()
            raise
        self.port = self.listeners[0][1]
        return self

    def stop(self):
        self.stopped.set()  # releases latency waits and silent TCP connections
        for server, thread in self._servers:
            server.shutdown()
            server.server_close()
            thread.join(5)
        self._servers = []
        self.listeners = []

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def address(self):
        """host:port as a resolver would name it ([v6]:port for IPv6)."""
        return ("[%s]:%d" if ":" in self.host else "%s:%d") % (self.host, self.port)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Authoritative test DNS server (A/AAAA), UDP+TCP.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=53)
    parser.add_argument("--records-file", required=True, help='JSON: {"name": ["address", ...]}')
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    parser.add_argument("--servfail", action="append", default=[], metavar="NAME",
                        help="answer SERVFAIL for NAME (repeatable)")
    args = parser.parse_args(argv)

    def load():
        with open(args.records_file) as handle:
            return json.load(handle)

    server = DNSServer(load(), host=args.host, port=args.port, latency=args.latency)
    server.servfail_names = set(args.servfail)
    server.start()

    stop_requested = threading.Event()

    def on_stop(signum, frame):
        stop_requested.set()

    def on_reload(signum, frame):
        try:
            server.set_records(load())
        except (OSError, ValueError) as exc:  # keep serving the old zone
            print("reload failed: %s" % exc, file=sys.stderr, flush=True)

    signal.signal(signal.SIGTERM, on_stop)
    signal.signal(signal.SIGINT, on_stop)
    signal.signal(signal.SIGHUP, on_reload)
    print("listening on %s %d" % (args.host, server.port), flush=True)
    while not stop_requested.wait(0.5):  # wake up now and then so signal handlers run
        pass
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
