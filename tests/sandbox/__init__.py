"""Local stand-ins used by the tests and by `make demo`: a fake Aiven API, Aiven-like HTTPS
nodes, a DNS server and real Prometheus processes, all on loopback or in a network namespace."""
