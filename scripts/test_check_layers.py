#!/usr/bin/env python3
"""Mutation check of scripts/check_layers.py (`make lint`): each mutation,
made in a copy of the crates, must make the check fail and name the files;
the copy unmutated must pass."""

import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHECK = ROOT / "scripts/check_layers.py"


def run(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(CHECK), "--root", str(root)], capture_output=True, text=True, check=False
    )


class Mutations(unittest.TestCase):
    def setUp(self):
        self.root = Path(tempfile.mkdtemp(prefix="check-layers-"))
        shutil.copytree(ROOT / "shared", self.root / "shared", ignore=shutil.ignore_patterns("target"))

    def tearDown(self):
        shutil.rmtree(self.root)

    def append(self, file: str, code: str):
        path = self.root / "shared/core/src" / file
        path.write_text(path.read_text() + "\n" + code + "\n")

    def assert_fails(self, *names: str):
        result = run(self.root)
        self.assertEqual(result.returncode, 1, result.stdout)
        for name in names:
            self.assertIn(name, result.stdout)
        return result.stdout

    def test_the_copy_as_it_is_passes(self):
        result = run(self.root)
        self.assertEqual(result.returncode, 0, result.stdout)

    def test_two_files_of_one_layer_importing_each_other(self):
        # domain/login imports domain/time; now time imports login.
        self.append("domain/time.rs", "pub fn _m(_: &crate::domain::login::Login) {}")
        self.assert_fails("import circle", "domain/time.rs", "domain/login/mod.rs")

    def test_a_circle_through_a_re_export(self):
        # `crate::domain::Login` is domain/mod.rs's re-export of login's Login.
        self.append("domain/time.rs", "pub fn _m(_: &crate::domain::Login) {}")
        self.assert_fails("domain/time.rs", "domain/login/mod.rs")

    def test_a_circle_through_a_use_statement_over_lines(self):
        self.append("domain/contact.rs", "use super::{\n    flow::ProjectFlow,\n};\npub fn _m(_: &ProjectFlow) {}")
        self.assert_fails("domain/contact.rs", "domain/flow.rs")

    def test_a_parent_and_its_child_importing_each_other(self):
        # login/face imports login/mod.rs; now login/mod.rs uses face's code.
        self.append("domain/login/mod.rs", "pub fn _m() -> u64 { face::judge_login_match as usize as u64 }")
        self.assert_fails("domain/login/mod.rs", "domain/login/face/mod.rs")

    def test_a_long_circle(self):
        # error is imported by every domain file: error -> code closes many.
        self.append("error.rs", "pub fn _m(_: &crate::domain::code::OneTimeCode) {}")
        self.assert_fails("import circle", "error.rs", "domain/code.rs")

    def test_an_upward_import(self):
        self.append("domain/time.rs", "pub fn _m(_: &crate::service::Caller) {}")
        self.assert_fails("domain/time.rs:", "domain imports upwards from service")

    def test_a_test_module_may_import_anything(self):
        self.append("domain/time.rs", "#[cfg(test)]\nmod more_tests {\n    use crate::domain::Login;\n}")
        result = run(self.root)
        self.assertEqual(result.returncode, 0, result.stdout)


if __name__ == "__main__":
    unittest.main()
