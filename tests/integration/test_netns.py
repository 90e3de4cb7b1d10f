"""The network-namespace sandbox: a DNS server on 127.0.0.1:53 that the namespace's own
/etc/resolv.conf points at, answering glibc and dnspython, and nothing left behind."""
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading

import pytest

from sandbox import netns as netns_module
from sandbox.netns import Forwarder, NetNS
from sandbox.util import wait_until

pytestmark = pytest.mark.netns

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DNS_SERVER = os.path.join(REPO, "tests", "sandbox", "dns_server.py")

SYSTEM_CONFIG_PROBE = r"""
import json, dns.resolver
r = dns.resolver.Resolver()  # the system configuration, as the lookup uses it
ns = [getattr(n, "address", n) for n in r.nameservers]
answer = r.resolve("svc-proj.aiven.test", "A", search=False)
print(json.dumps({"nameservers": ns, "port": r.port, "addresses": sorted(a.address for a in answer)}))
"""


def host_resolv_conf_digest():
    with open("/etc/resolv.conf", "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def start_dns(ns, records_file):
    return ns.popen([sys.executable, DNS_SERVER, "--host", "127.0.0.1", "--port", "53",
                     "--records-file", records_file], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def getent_v4(ns, name):
    proc = ns.run(["getent", "ahostsv4", name])
    return sorted({line.split()[0] for line in proc.stdout.splitlines() if line.strip()})


def process_gone(pid):
    try:
        with open("/proc/%d/status" % pid) as handle:
            return "\nState:\tZ" in handle.read()  # a zombie holds no resources or namespace
    except FileNotFoundError:
        return True


def test_dns_server_on_port_53_answers_glibc_and_dnspython_inside(tmp_path):
    records = tmp_path / "records.json"
    records.write_text(json.dumps({"svc-proj.aiven.test": ["127.0.0.3", "127.0.0.2"]}))
    before = host_resolv_conf_digest()

    with NetNS(resolv_nameserver="127.0.0.1") as ns:
        name = ns.name
        assert ns.exists()
        with open("/etc/netns/%s/resolv.conf" % name) as handle:
            assert "nameserver 127.0.0.1" in handle.read()
        assert "192.0.2.1/32" in ns.run(["ip", "addr", "show", "lo"]).stdout

        server = start_dns(ns, str(records))
        # glibc (getaddrinfo via getent) reads the namespace's resolv.conf -> our server on :53
        assert wait_until(lambda: getent_v4(ns, "svc-proj.aiven.test"), 10, "getent via the namespace DNS") == [
            "127.0.0.2", "127.0.0.3"]

        # dnspython's system configuration sees 127.0.0.1:53 and gets the same answer
        probe = ns.run([sys.executable, "-c", SYSTEM_CONFIG_PROBE])
        assert probe.returncode == 0, probe.stderr
        assert json.loads(probe.stdout) == {"nameservers": ["127.0.0.1"], "port": 53,
                                            "addresses": ["127.0.0.2", "127.0.0.3"]}

        # the command-line server re-reads its records on SIGHUP: a node dropped from DNS
        records.write_text(json.dumps({"svc-proj.aiven.test": ["127.0.0.2"]}))
        server.send_signal(signal.SIGHUP)
        wait_until(lambda: getent_v4(ns, "svc-proj.aiven.test") == ["127.0.0.2"], 10, "the reloaded zone")
        assert server.pid in ns.pids()

    assert server.poll() is not None, "the DNS server outlived its namespace"
    assert not NetNS(name=name).exists()
    assert not os.path.exists("/etc/netns/%s" % name)
    assert host_resolv_conf_digest() == before, "the machine's /etc/resolv.conf changed"


def test_without_a_non_loopback_address_glibc_finds_nothing(tmp_path):
    """Why NetNS puts 192.0.2.1 on lo: AI_ADDRCONFIG hides every IPv4 answer otherwise."""
    records = tmp_path / "records.json"
    records.write_text(json.dumps({"svc-proj.aiven.test": ["127.0.0.2"]}))
    probe = [sys.executable, "-c", SYSTEM_CONFIG_PROBE]
    with NetNS(extra_addresses=()) as ns:
        start_dns(ns, str(records))
        wait_until(lambda: ns.run(probe).returncode == 0, 10, "the namespace DNS server")
        assert getent_v4(ns, "svc-proj.aiven.test") == []


def test_close_kills_detached_processes_and_sessions():
    """Ansible's workers start sessions of their own; cleanup must find them by namespace."""
    daemonize = ("import subprocess, sys; subprocess.Popen([sys.executable, '-c', "
                 "'import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)'],"
                 " start_new_session=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,"
                 " stderr=subprocess.DEVNULL)")
    with NetNS() as ns:
        assert ns.run([sys.executable, "-c", daemonize]).returncode == 0
        orphan, = wait_until(ns.pids, 10, "the detached process")
        name = ns.name
    assert wait_until(lambda: process_gone(orphan), 10, "the orphan to be killed")
    assert not NetNS(name=name).exists()


def test_namespaces_of_dead_runs_are_removed():
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = "%s%d-deadbeef" % (netns_module.PREFIX, dead.pid)
    if netns_module.unavailable_reason():
        pytest.skip(netns_module.unavailable_reason())
    subprocess.run(["ip", "netns", "add", stale], check=True)
    os.makedirs("/etc/netns/%s" % stale, exist_ok=True)
    try:
        with NetNS():
            assert not NetNS(name=stale).exists()
            assert not os.path.exists("/etc/netns/%s" % stale)
    finally:
        subprocess.run(["ip", "netns", "delete", stale], capture_output=True, check=False)


def test_skips_with_a_reason_when_not_root(monkeypatch):
    monkeypatch.setattr(netns_module.os, "geteuid", lambda: 1000)
    with pytest.raises(pytest.skip.Exception, match="need root"):
        with NetNS():
            pass
    with pytest.raises(netns_module.NetNSUnavailable, match="need root"):
        NetNS(skip=False).__enter__()


def test_sockets_made_inside_stay_inside_and_the_forwarder_reaches_them():
    """call_in: a listener this process creates inside is not reachable outside on the same
    address; Forwarder carries a conversation to it both ways; resolv_lines and IPv6 addresses
    (usable at once, no DAD wait) land in the namespace."""
    with NetNS(resolv_lines=["search corp.example", "options ndots:5"], extra_addresses=("fd00:5::7",)) as ns:
        with open(ns.resolv_conf) as handle:
            assert handle.read().splitlines()[1:] == ["nameserver 127.0.0.1", "search corp.example", "options ndots:5"]
        listener = ns.call(socket.create_server, ("fd00:5::7", 0), family=socket.AF_INET6)
        port = listener.getsockname()[1]
        with pytest.raises(OSError):  # outside, that address does not exist
            socket.create_connection(("fd00:5::7", port), timeout=2)

        def echo_once():
            conn = listener.accept()[0]
            with conn:
                conn.sendall(b"inside heard " + conn.recv(100))
        server = threading.Thread(target=echo_once, daemon=True)
        server.start()
        with Forwarder(ns.name, ("fd00:5::7", port)) as forwarder:
            with socket.create_connection(forwarder.address, timeout=5) as client:
                client.sendall(b"hello")
                client.shutdown(socket.SHUT_WR)
                reply = b""
                while True:
                    chunk = client.recv(100)
                    if not chunk:
                        break
                    reply += chunk
        server.join(5)
        listener.close()
        assert reply == b"inside heard hello"
