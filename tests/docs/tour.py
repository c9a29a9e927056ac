#!/usr/bin/python3
"""Runs every command of docs/TOUR.md (or --doc FILE, e.g. docs/CLI.md) and compares
its output with the one shown.

The tour shows commands in ```console blocks: a line "$ COMMAND" (run by bash, with
the synack under test first on PATH, in a scratch directory holding the repository's
tests/ and a copy of docs/tour/) followed by the output it prints. Files a command
writes under docs/tour/ (the pictures) must come out identical to the committed ones.

  tour.py BUILD_DIR [--doc FILE]            check (exit 1 on any difference, with a diff)
  tour.py BUILD_DIR [--doc FILE] --update   rewrite the outputs in FILE and docs/tour/
"""
import difflib
import filecmp
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOUR = os.path.join(ROOT, "docs", "TOUR.md")
PICTURES = os.path.join(ROOT, "docs", "tour")


def blocks(lines):
    """Yields (start, end) line ranges of ```console blocks (contents only)."""
    i = 0
    while i < len(lines):
        if lines[i].rstrip("\n") == "```console":
            j = i + 1
            while j < len(lines) and lines[j].rstrip("\n") != "```":
                j += 1
            if j == len(lines):
                raise SystemExit(f"{TOUR}:{i + 1}: console block never closed")
            yield i + 1, j
            i = j
        i += 1


def run(command, cwd, env):
    p = subprocess.run(["bash", "-o", "pipefail", "-c", command], cwd=cwd, env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
    if p.returncode != 0:
        raise SystemExit(f"tour: '{command}' exited {p.returncode}:\n{p.stdout.decode()[-2000:]}")
    return p.stdout.decode().splitlines(keepends=True)


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    build = os.path.abspath(sys.argv[1])
    update = "--update" in sys.argv[2:]
    global TOUR
    if "--doc" in sys.argv[2:]:
        TOUR = os.path.join(ROOT, sys.argv[sys.argv.index("--doc") + 1])
    if not os.access(os.path.join(build, "synack"), os.X_OK):
        raise SystemExit(f"tour: no synack in {build}")
    env = dict(os.environ, PATH=build + os.pathsep + os.environ["PATH"], COLUMNS="200")
    with open(TOUR) as f:
        lines = f.readlines()
    scratch = tempfile.mkdtemp(prefix="synack-tour-")
    try:
        os.symlink(os.path.join(ROOT, "tests"), os.path.join(scratch, "tests"))
        os.makedirs(os.path.join(scratch, "docs"))
        if os.path.isdir(PICTURES):
            shutil.copytree(PICTURES, os.path.join(scratch, "docs", "tour"))
        else:
            os.makedirs(os.path.join(scratch, "docs", "tour"))
        out, failures, commands, last = [], 0, 0, 0
        for start, end in blocks(lines):
            out.extend(lines[last:start])
            body = lines[start:end]
            k = 0
            while k < len(body):
                line = body[k]
                if not line.startswith("$ "):
                    raise SystemExit(f"{TOUR}:{start + k + 1}: expected a '$ ' command line")
                cmd = line[2:].rstrip("\n")
                k += 1
                shown = []
                while k < len(body) and not body[k].startswith("$ "):
                    shown.append(body[k])
                    k += 1
                got = run(cmd, scratch, env)
                commands += 1
                out.append(line)
                out.extend(got)
                if got != shown and not update:
                    failures += 1
                    print(f"FAIL {os.path.relpath(TOUR, ROOT)}: output of '$ {cmd}' differs from the one shown:")
                    sys.stdout.writelines(difflib.unified_diff(shown, got, "shown", "real", n=1))
            last = end
        out.extend(lines[last:])
        made = os.path.join(scratch, "docs", "tour")
        for name in sorted(os.listdir(made)):
            mine = os.path.join(PICTURES, name)
            if update:
                os.makedirs(PICTURES, exist_ok=True)
                shutil.copyfile(os.path.join(made, name), mine)
            elif not os.path.exists(mine) or not filecmp.cmp(mine, os.path.join(made, name),
                                                             shallow=False):
                failures += 1
                print(f"FAIL docs/tour/{name}: the tour's command makes a different file")
        if update:
            with open(TOUR, "w") as f:
                f.writelines(out)
            print(f"tour: {commands} commands run, {os.path.relpath(TOUR, ROOT)} and docs/tour/ rewritten")
            return 0
        print(f"tour: {commands} commands, {failures} differences")
        return 1 if failures or commands == 0 else 0
    finally:
        shutil.rmtree(scratch)


if __name__ == "__main__":
    sys.exit(main())
