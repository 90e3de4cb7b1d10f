"""The corpus of real-looking prometheus.yml files the scrape_config and role tests run over
(tests/integration/prometheus_configs) and its index.json: per file, `error` for files the
module must refuse, `min_version` for files only newer Prometheus accepts."""
import json
import pathlib

CORPUS = pathlib.Path(__file__).resolve().parent / "integration" / "prometheus_configs"
INDEX = {k: v for k, v in json.loads((CORPUS / "index.json").read_text()).items() if not k.startswith("_")}


def success_cases(version):
    """Corpus files the module must handle (no `error`) that Prometheus `version`, a
    (major, minor) tuple, accepts."""
    return [name for name, meta in sorted(INDEX.items()) if not meta.get("error")
            and tuple(int(x) for x in meta.get("min_version", "0.0").split(".")) <= tuple(version)]
