"""write_if_different: the one way the API modules write a file (project CA, scrape password)."""
import os
import shutil
import stat

import pytest

from ansible_collections.aiven_tools.prometheus.plugins.module_utils.local_file import write_if_different


class Failed(Exception):
    pass


class FakeModule:
    """What write_if_different uses of AnsibleModule; file attributes: mode only."""

    def __init__(self, mode=None, check_mode=False):
        self.params = {"mode": mode}
        self.check_mode = check_mode

    def fail_json(self, msg):
        raise Failed(msg)

    def atomic_move(self, src, dest):
        shutil.move(src, dest)

    def load_file_common_arguments(self, params, path):
        return {"path": path, "mode": params["mode"]}

    def set_fs_attributes_if_different(self, file_args, changed):
        mode = file_args["mode"]
        if mode is not None and stat.S_IMODE(os.stat(file_args["path"]).st_mode) != int(mode, 8):
            os.chmod(file_args["path"], int(mode, 8))
            return True
        return changed


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_secret_file_is_created_0600_and_left_alone_when_equal(tmp_path):
    path = tmp_path / "password"
    assert write_if_different(FakeModule(), str(path), b"s3cret\n", secret=True) == (True, None)
    assert path.read_bytes() == b"s3cret\n" and mode_of(path) == 0o600
    mtime = os.stat(path).st_mtime_ns
    assert write_if_different(FakeModule(), str(path), b"s3cret\n", secret=True) == (False, b"s3cret\n")
    assert os.stat(path).st_mtime_ns == mtime


def test_given_mode_applies_and_a_change_reports_the_old_content(tmp_path):
    path = tmp_path / "ca.pem"
    path.write_bytes(b"old\n")
    os.chmod(path, 0o600)
    assert write_if_different(FakeModule(mode="0644"), str(path), b"new\n") == (True, b"old\n")
    assert path.read_bytes() == b"new\n" and mode_of(path) == 0o644
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".ansible-tmp-")]


def test_check_mode_writes_nothing(tmp_path):
    path = tmp_path / "ca.pem"
    assert write_if_different(FakeModule(check_mode=True), str(path), b"pem\n") == (True, None)
    assert not path.exists()


@pytest.mark.parametrize("where, message", [("missing/ca.pem", "the directory of %s does not exist"),
                                            ("", "%s is a directory; give the file's path")])
def test_bad_paths_fail_with_one_line(tmp_path, where, message):
    path = str(tmp_path / where) if where else str(tmp_path)
    with pytest.raises(Failed, match="^%s$" % message.replace("%s", ".*")):
        write_if_different(FakeModule(), path, b"x")
