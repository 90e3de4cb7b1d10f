"""Stand-ins for unit tests: Prometheus's HTTP API on 127.0.0.1, and a clock for waiters.

Serves what the collection reads (flags, buildinfo, /metrics, /api/v1/scrape_pools,
/api/v1/targets, POST /-/reload) from plain attributes a test sets, with the shapes real
Prometheus 2.42/2.53/3.5 answer (see tests/integration/test_prometheus_reload.py for the real
ones). Every request is recorded in `requests` as (method, path).

    with PrometheusStub(pools=["a"]) as prom:
        prom.on_reload = lambda stub: (500, "failed to reload config: ...")
        PrometheusAPI(prom.url).reload(5)
"""
import http.server
import json
import ssl
import threading
import time


class Clock(object):
    """Monotonic seconds that advance only when the code under test sleeps: inject `clock` and
    `clock.sleep` into a Waiter and no test waits for real. `sleeps` records each sleep."""

    def __init__(self, now=100.0):
        self.now = now
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        assert seconds > 0, "a round must never sleep zero or negative seconds"
        self.sleeps.append(seconds)
        self.now += seconds


class PrometheusStub(object):
    def __init__(self, lifecycle=True, version="2.53.3", pools=(), targets=(), scrape_pools_api=True,
                 config_file="/etc/prometheus/prometheus.yml", tls=None):
        # tls: a trustme.CA; the stub then serves https with a certificate of it for 127.0.0.1.
        self.tls = tls
        self.flags = {"web.enable-lifecycle": "true" if lifecycle else "false",
                      "config.file": config_file, "web.listen-address": "127.0.0.1:9090"}
        self.version = version
        self.pools = list(pools)
        self.targets = list(targets)
        self.dropped = []
        self.scrape_pools_api = scrape_pools_api
        # A Unix time, as Prometheus reports it: scrape_config compares it with its files' mtimes
        # (a file newer than the last reload is not loaded yet).
        self.reload_timestamp = int(time.time()) + 0.5
        self.reload_successful = 1
        self.pools_failed = 0
        self.requests = []
        self.authorization = []  # the Authorization header of each request (None without one)
        # on_reload(stub) -> (status, body) or None for 200; unset: the configuration loads.
        self.on_reload = None
        # on_read(stub, path) is called before each GET is answered (to change state over time).
        self.on_read = None
        self.metrics_status = 200
        self.reloads = 0
        self._server = None
        self._thread = None

    # -- state a test drives ------------------------------------------------------------------

    def loaded(self, pools=None):
        """What a successful reload does: a new timestamp, flag 1, optionally new pools."""
        self.reload_timestamp = max(self.reload_timestamp + 10, time.time())  # never before the files it loads
        self.reload_successful = 1
        if pools is not None:
            self.pools = list(pools)

    def failed(self):
        """What a reload Prometheus rejects does (SIGHUP/systemd: only the flag tells)."""
        self.reload_successful = 0

    @staticmethod
    def target(job, url, health="up", last_error="", **labels):
        merged = {"job": job, "instance": url.split("/")[2]}
        merged.update(labels)
        return {"discoveredLabels": {}, "labels": merged, "scrapePool": job, "scrapeUrl": url,
                "globalUrl": url, "lastError": last_error, "lastScrape": "2026-12-01T00:00:00Z",
                "lastScrapeDuration": 0.001, "health": health, "scrapeInterval": "1s", "scrapeTimeout": "1s"}

    # -- HTTP -----------------------------------------------------------------------------------

    def metrics_text(self):
        return (
            "# HELP prometheus_config_last_reload_success_timestamp_seconds Timestamp of the last successful configuration reload.\n"
            "# TYPE prometheus_config_last_reload_success_timestamp_seconds gauge\n"
            "prometheus_config_last_reload_success_timestamp_seconds %r\n"
            "# TYPE prometheus_config_last_reload_successful gauge\n"
            "prometheus_config_last_reload_successful %d\n"
            "# TYPE prometheus_target_scrape_pools_failed_total counter\n"
            "prometheus_target_scrape_pools_failed_total %d\n"
            'prometheus_http_requests_total{code="200",handler="/metrics"} 3\n'
            % (self.reload_timestamp, self.reload_successful, self.pools_failed)
        )

    def answer(self, method, path):
        self.requests.append((method, path))
        if method == "POST" and path == "/-/reload":
            if self.flags["web.enable-lifecycle"] != "true":
                return 403, "text/plain", "Lifecycle API is not enabled."
            self.reloads += 1
            if self.on_reload is None:
                self.loaded()
                return 200, "text/plain", ""
            outcome = self.on_reload(self)  # changes the state itself; None means 200
            if outcome is None:
                return 200, "text/plain", ""
            return outcome[0], "text/plain", outcome[1]
        if method != "GET":
            return 405, "text/plain", "Only POST or PUT requests allowed"
        if self.on_read:
            self.on_read(self, path)
        if path == "/metrics":
            return self.metrics_status, "text/plain; version=0.0.4", self.metrics_text()
        if path == "/api/v1/status/flags":
            return self._data(self.flags)
        if path == "/api/v1/status/buildinfo":
            return self._data({"version": self.version, "revision": "stub", "branch": "stub"})
        if path == "/api/v1/scrape_pools" and self.scrape_pools_api:
            return self._data({"scrapePools": list(self.pools)})
        if path.startswith("/api/v1/targets"):
            return self._data({"activeTargets": list(self.targets), "droppedTargets": list(self.dropped)})
        return 404, "text/plain", "404 page not found"

    @staticmethod
    def _data(data):
        return 200, "application/json", json.dumps({"status": "success", "data": data})

    @property
    def url(self):
        return "%s://127.0.0.1:%d" % ("https" if self.tls else "http", self._server.server_address[1])

    def start(self):
        stub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _serve(self):
                stub.authorization.append(self.headers.get("Authorization"))
                status, content_type, body = stub.answer(self.command, self.path)
                data = body.encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = _serve

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if self.tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.tls.issue_cert("127.0.0.1").configure_cert(context)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
