"""Code never leaves the project (checks/containment.py, packaging.py): a handler, `code` or `code_root` outside the
project, or a symlink that leads out, is refused by validate, compile and package, and no zip ever holds a byte
from outside the code directory.

Every case is a real project: a git work tree with specs/, handlers/ and, beside it, an `outside/` directory holding
a `credentials` file and a Python file a spec could name.
"""

from __future__ import annotations

import io
import os
import subprocess
import zipfile
from pathlib import Path

import pytest

from specc.build.packaging import OutsideCode, collect, scan
from specc.checks.containment import project_of
from specc.cli.app import main

SECRET = b"aws_secret_access_key = do-not-ship-me\n"
HEAD = "specc: 1\nservice: shop\nenvironment: dev\nregions: [eu-west-1]\n"


@pytest.fixture
def layout(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "credentials").write_bytes(SECRET)
    (outside / "evil.py").write_bytes(b"def handler(event, context):\n    return open('credentials').read()\n" + SECRET)
    project = tmp_path / "project"
    (project / "specs").mkdir(parents=True)
    (project / "handlers" / "svc").mkdir(parents=True)
    (project / "handlers" / "svc" / "app.py").write_text("def handler(event, context):\n    return {}\n")
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    return project


def spec(project: Path, body: str, code_root: str = "..") -> Path:
    path = project / "specs" / "svc.yaml"
    path.write_text(HEAD + f"code_root: {code_root}\n" + body)
    return path


CASES = {
    # name: (code_root, function line, expected diagnostic (after the path), what to prepare)
    "dotdot_handler": ("..", "handler: ../outside/evil.py:handler",
                       "7:16 E251 functions.f.handler: handler file '../outside/evil.py' resolves outside the project "
                       "(the git work tree that holds the spec)"),
    "absolute_handler": ("..", "handler: {outside}/evil.py:handler",
                         "7:16 E251 functions.f.handler: handler file '{outside}/evil.py' resolves outside the project "
                         "(the git work tree that holds the spec)"),
    "code_root_slash": ("/", "handler: handlers/svc/app.py:handler",
                        "5:12 E250 code_root: code_root '/' resolves outside the project (the git work tree that holds "
                        "the spec); specc packages code only from inside it"),
    "code_dotdot": ("..", "handler: handlers/svc/app.py:handler, code: ..",
                    "7:51 E252 functions.f.code: code directory '..' resolves outside the project (the git work tree "
                    "that holds the spec)"),
    "symlinked_handler": ("..", "handler: handlers/svc/linked.py:handler",
                          "7:16 E251 functions.f.handler: handler file 'handlers/svc/linked.py' resolves through a "
                          "symlink outside the project (the git work tree that holds the spec)"),
    "credentials_link": ("..", "handler: handlers/svc/app.py:handler",
                         "7:16 E253 functions.f.handler: code directory 'handlers/svc' holds symlinks that lead "
                         "outside it: 'credentials'; packaging never follows them"),
}


def prepare(project: Path, case: str) -> tuple[Path, str]:
    outside = project.parent / "outside"
    code_root, line, expected = CASES[case]
    if case == "symlinked_handler":
        os.symlink(outside / "evil.py", project / "handlers" / "svc" / "linked.py")
    if case == "credentials_link":
        os.symlink(outside / "credentials", project / "handlers" / "svc" / "credentials")
    path = spec(project, "functions:\n  f: {" + line.format(outside=outside) + "}\n", code_root)
    return path, f"{path}:" + expected.format(outside=outside)


@pytest.mark.parametrize("case", sorted(CASES))
def test_code_from_outside_the_project_is_refused_everywhere(layout: Path, runner, case: str, tmp_path: Path) -> None:
    path, expected = prepare(layout, case)
    zips, out = tmp_path / "zips", tmp_path / "out"
    for args in (["validate", str(path)], ["compile", str(path), "--out", str(out)],
                 ["package", str(path), "--out", str(zips)]):
        result = runner.invoke(main, args)
        assert result.exit_code == 1, (args, result.output)
        first, summary = result.output.splitlines()
        assert first.startswith(expected + " (") and summary == "1 error; nothing was written.", first
    assert not out.exists() and not zips.exists()


def test_a_symlink_that_stays_inside_is_packaged_as_the_file_it_points_to(layout: Path, runner, tmp_path) -> None:
    code = layout / "handlers" / "svc"
    (code / "lib").mkdir()
    (code / "lib" / "shared.py").write_text("VALUE = 1\n")
    os.symlink("lib/shared.py", code / "shared.py")  # a file inside: stored as a file
    os.symlink("lib", code / "alias")  # a directory inside: not walked (lib/ is in the zip already)
    (code / ".venv" / "bin").mkdir(parents=True)
    os.symlink(layout.parent / "outside" / "credentials", code / ".venv" / "bin" / "python")  # excluded: not read
    path = spec(layout, "functions:\n  f: {handler: handlers/svc/app.py:handler}\n")
    result = runner.invoke(main, ["package", str(path), "--out", str(tmp_path / "zips")])
    assert result.exit_code == 0, result.output
    (archive,) = (tmp_path / "zips").iterdir()
    with zipfile.ZipFile(archive) as opened:
        assert sorted(opened.namelist()) == ["app.py", "lib/shared.py", "shared.py"]
        assert opened.read("shared.py") == b"VALUE = 1\n"


def test_packaging_itself_never_reads_outside_the_code_directory(layout: Path) -> None:
    """The check runs before packaging; these hold even if the tree changes between the two (or the check is
    skipped): collect refuses the link, and a zip of files collected earlier refuses one swapped in since."""
    code = layout / "handlers" / "svc"
    credentials = layout.parent / "outside" / "credentials"
    (code / "config.txt").write_text("ok\n")
    artifact = collect(code, code / "app.py", "handler")
    assert "config.txt" in artifact.files and SECRET not in artifact.zip_bytes()
    (code / "config.txt").unlink()
    os.symlink(credentials, code / "config.txt")  # after the check, before the zip
    with pytest.raises(OutsideCode):
        artifact.zip_bytes()
    with pytest.raises(OutsideCode):
        collect(code, code / "app.py", "handler")
    assert scan(code) == (["app.py"], ["config.txt"])
    os.symlink(layout.parent / "outside", code / "more")  # a directory link out: refused too
    assert scan(code)[1] == ["config.txt", "more"]


def test_a_zip_never_holds_bytes_from_outside(layout: Path) -> None:
    code = layout / "handlers" / "svc"
    os.symlink("app.py", code / "same.py")
    artifact = collect(code, code / "app.py", "handler")
    with zipfile.ZipFile(io.BytesIO(artifact.zip_bytes())) as opened:
        assert all(SECRET not in opened.read(name) for name in opened.namelist())


def test_the_project_is_the_git_work_tree_else_the_folder_of_specs_else_the_spec_directory(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "deep" / "specs").mkdir(parents=True)
    (repo / ".git").write_text("gitdir: elsewhere\n")  # a git worktree's .git is a file
    assert project_of(repo / "deep" / "specs" / "a.yaml").root == os.path.realpath(repo)
    plain = tmp_path / "plain"
    (plain / "specs" / "team").mkdir(parents=True)
    found = project_of(plain / "specs" / "team" / "a.yaml")
    assert found.root == os.path.realpath(plain) and found.what == "the directory that holds specs/"
    loose = tmp_path / "loose"
    loose.mkdir()
    found = project_of(loose / "a.yaml")
    assert found.root == os.path.realpath(loose) and "no git work tree" in found.what


def test_specc_init_projects_outside_git_still_compile(runner, tmp_path: Path, monkeypatch) -> None:
    """`specc init` writes specs/NAME.yaml with `code_root: ..`: the project is the folder that holds specs/."""
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(main, ["init", "--template", "api", "--service", "shop"]).exit_code == 0
    result = runner.invoke(main, ["validate", "specs/shop.yaml"])
    assert result.exit_code == 0, result.output
