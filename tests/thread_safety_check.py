#!/usr/bin/env python3
"""Checks lrsweep's thread-safety annotations with clang's -Wthread-safety.

g++ ignores ABSL_GUARDED_BY and friends; clang checks them. Every source file of the build that
uses an absl::Mutex is compiled with clang++ (syntax only, with the build's own include paths and
defines) and -Werror=thread-safety: touching guarded state without its lock fails the test.

  tests/thread_safety_check.py BUILD_DIR [CLANG]
"""
import json
import shlex
import subprocess
import sys


def clang_command(entry, clang):
    """The build's include paths, defines and standard, for clang."""
    command = [clang, "-fsyntax-only", "-Wthread-safety", "-Werror=thread-safety"]
    args = shlex.split(entry["command"])[1:]
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "-isystem":
            command += [arg, args[i + 1]]
            i += 1
        elif arg.startswith(("-I", "-D", "-std=")) or arg == "-pthread":
            command.append(arg)
        i += 1
    return command + [entry["file"]]


def uses_mutex(path):
    with open(path, errors="replace") as source:
        return "Mutex" in source.read()


def main():
    build_dir = sys.argv[1]
    clang = sys.argv[2] if len(sys.argv) > 2 else "clang++"
    with open(f"{build_dir}/compile_commands.json") as f:
        entries = json.load(f)
    checked, failed = [], []
    for entry in entries:
        path = entry["file"]
        if path in checked or path in failed or not path.endswith(".cc") or not uses_mutex(path):
            continue
        result = subprocess.run(clang_command(entry, clang), capture_output=True, text=True)
        (checked if result.returncode == 0 else failed).append(path)
        if result.returncode != 0:
            print(f"FAILED {path}\n{result.stderr}")
    for path in checked:
        print(f"ok {path}")
    print(f"thread-safety analysis: {len(checked)} passed, {len(failed)} failed")
    sys.exit(1 if failed or not checked else 0)


if __name__ == "__main__":
    main()
