#!/usr/bin/env python3
"""Checks deploy/ offline, against the binaries of this build.

Nothing here runs a Kubernetes cluster or systemd: it reads the manifests, units and job scripts
and checks what can be checked without one. Every flag they pass exists in the binary's --help;
every file they read from a mounted secret is one `init-secrets` writes; every probe and Service
points at a port the container declares and serves; grace periods nest (scheduler > worker);
the coordinator runs as one replica on a persistent volume; workers ask for one GPU each.

    check_deploy_files.py SOURCE_DIR BIN_DIR
Exit 0 when all hold; otherwise prints each problem with its file and exits 1.
"""
import os
import re
import shlex
import subprocess
import sys

import yaml

SECRET_FILES = {"ca.pem", "ca.key", "server.pem", "server.key", "client.pem", "client.key",
                "worker.token", "user.token"}
BINARIES = ("lrsweep", "lrsweep-coordinator", "lrsweep-worker")

problems = []


def problem(where, text):
    problems.append(f"{where}: {text}")


def help_flags(bin_dir, binary):
    out = subprocess.run([os.path.join(bin_dir, binary), "--help"], capture_output=True,
                         text=True, check=True).stdout
    return set(re.findall(r"(--[a-z][a-z0-9-]*)", out))


def flags_of(args):
    """The --flags in a list of arguments (--a=b and --a b forms)."""
    return [a.split("=", 1)[0] for a in args if a.startswith("--")]


def flag_value(args, flag):
    for i, a in enumerate(args):
        if a.startswith(flag + "="):
            return a.split("=", 1)[1]
        if a == flag and i + 1 < len(args):
            return args[i + 1]
    return None


def env_names_in_source(source):
    names = set()
    for folder in ("cli", "worker", "rpc", "coordinator", "common"):
        for name in os.listdir(os.path.join(source, folder)):
            if name.endswith((".cc", ".h")):
                with open(os.path.join(source, folder, name)) as f:
                    names.update(re.findall(r'"(LRSWEEP_[A-Z_]+)"', f.read()))
    return names


def check_container(where, container, pod, claim_names, known_flags, env_names):
    command = container.get("command", [])
    args = container.get("args", [])
    binary = command[0] if command else None
    if binary not in BINARIES:
        problem(where, f"container {container['name']} runs {binary}, not an lrsweep binary")
        return
    for flag in flags_of(args):
        if flag not in known_flags[binary]:
            problem(where, f"{binary} has no flag {flag} (not in its --help)")
    env = {e["name"]: e for e in container.get("env", [])}
    for name in env:
        if name.startswith("LRSWEEP_") and name not in env_names:
            problem(where, f"{binary} reads no environment variable {name}")
    ports = {p.get("name"): p["containerPort"] for p in container.get("ports", [])}
    served = set()
    for flag in ("--listen", "--health-listen", "--metrics-listen"):
        value = flag_value(args, flag)
        if value:
            served.add(int(value.rsplit(":", 1)[1]))
    for port in ports.values():
        if port not in served:
            problem(where, f"{binary} declares port {port} but serves none there")
    for probe_name in ("readinessProbe", "livenessProbe", "startupProbe"):
        probe = container.get(probe_name)
        if not probe:
            continue
        if "grpc" in probe:
            port = probe["grpc"]["port"]
            health = flag_value(args, "--health-listen")
            if not health or int(health.rsplit(":", 1)[1]) != port:
                problem(where, f"{probe_name} probes gRPC port {port}, which is not "
                               f"--health-listen (Kubernetes' gRPC probes cannot use TLS)")
        else:
            problem(where, f"{probe_name} is not a gRPC health probe")
    check_secret_paths(where, container, pod, args, env, claim_names)
    return ports


def check_secret_paths(where, container, pod, args, env, claim_names):
    """Every path under a secret's mount is a file init-secrets writes."""
    secret_mounts = {}
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    volumes.update({name: {"claim": name} for name in claim_names})
    for mount in container.get("volumeMounts", []):
        volume = volumes.get(mount["name"])
        if volume is None:
            problem(where, f"volumeMount {mount['name']} names no volume")
            continue
        if "secret" in volume:
            secret_mounts[mount["mountPath"].rstrip("/")] = volume["secret"]["secretName"]
    paths = [a.split("=", 1)[1] for a in args if a.startswith("--") and "=" in a]
    paths += [e.get("value", "") for e in env.values()]
    for path in paths:
        directory, name = os.path.split(path)
        if directory in secret_mounts and name not in SECRET_FILES:
            problem(where, f"{path}: secret {secret_mounts[directory]} would need a key {name}, "
                           "which init-secrets does not write")


def check_kubernetes(source, known_flags, env_names):
    folder = os.path.join(source, "deploy", "k8s")
    documents = {}
    with open(os.path.join(folder, "kustomization.yaml")) as f:
        kustomization = yaml.safe_load(f)
    for resource in kustomization["resources"]:
        path = os.path.join(folder, resource)
        if not os.path.exists(path):
            problem("deploy/k8s/kustomization.yaml", f"lists {resource}, which does not exist")
            continue
        with open(path) as f:
            documents[resource] = [d for d in yaml.safe_load_all(f) if d]
    pods = []  # (where, kind, spec, pod labels, ports)
    services = []
    for resource, docs in documents.items():
        for doc in docs:
            where = f"deploy/k8s/{resource} {doc['kind']} {doc['metadata']['name']}"
            if doc["kind"] == "Service":
                services.append((where, doc))
            if doc["kind"] not in ("StatefulSet", "Deployment", "Job"):
                continue
            pod = doc["spec"]["template"]["spec"]
            claims = [c["metadata"]["name"] for c in doc["spec"].get("volumeClaimTemplates", [])]
            ports = {}
            for container in pod["containers"]:
                ports.update(check_container(where, container, pod, claims, known_flags,
                                             env_names) or {})
            pods.append((where, doc, pod, doc["spec"]["template"]["metadata"]["labels"], ports))
    for where, service in services:
        selected = [p for p in pods if all(p[3].get(k) == v
                                           for k, v in service["spec"]["selector"].items())]
        if not selected:
            problem(where, "selects no pod")
        for port in service["spec"]["ports"]:
            target = port.get("targetPort", port["port"])
            for _, _, _, _, ports in selected:
                if target not in ports and target not in ports.values():
                    problem(where, f"targetPort {target} is no declared container port")
    for where, doc, pod, _, _ in pods:
        container = pod["containers"][0]
        args = container.get("args", [])
        binary = container["command"][0]
        if binary == "lrsweep-coordinator":
            if doc["kind"] != "StatefulSet" or doc["spec"].get("replicas") != 1:
                problem(where, "the coordinator must be a StatefulSet of one replica (one owner "
                               "per data dir)")
            data = flag_value(args, "--data-dir")
            mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
            claims = {c["metadata"]["name"] for c in doc["spec"].get("volumeClaimTemplates", [])}
            if mounts.get(data) not in claims:
                problem(where, f"--data-dir {data} is not on a persistent volume claim")
        if binary == "lrsweep-worker":
            grace = int(flag_value(args, "--grace-seconds") or 30)
            period = pod.get("terminationGracePeriodSeconds", 30)
            if period < grace + 5:
                problem(where, f"terminationGracePeriodSeconds {period} leaves the worker's "
                               f"--grace-seconds {grace} no margin (need >= {grace + 5})")
            limits = container.get("resources", {}).get("limits", {})
            if str(limits.get("nvidia.com/gpu")) != "1":
                problem(where, "a worker must ask for exactly one GPU (nvidia.com/gpu: 1)")
            if not flag_value(args, "--coordinator"):
                problem(where, "the worker names no --coordinator")


def exec_start(unit_text):
    """The ExecStart command of a systemd unit, continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", unit_text)
    match = re.search(r"^ExecStart=(.+)$", joined, re.M)
    return shlex.split(match.group(1)) if match else []


def check_systemd(source, known_flags):
    folder = os.path.join(source, "deploy", "systemd")
    for name in sorted(os.listdir(folder)):
        where = f"deploy/systemd/{name}"
        with open(os.path.join(folder, name)) as f:
            text = f.read()
        command = exec_start(text)
        binary = os.path.basename(command[0]) if command else None
        if binary not in BINARIES:
            problem(where, f"ExecStart runs {binary}, not an lrsweep binary")
            continue
        for flag in flags_of(command[1:]):
            if flag not in known_flags[binary]:
                problem(where, f"{binary} has no flag {flag}")
        if "RestartPreventExitStatus=2" not in text:
            problem(where, "a bad flag (exit 2) must not restart in a loop: "
                           "RestartPreventExitStatus=2")
        if binary == "lrsweep-worker":
            grace = int(flag_value(command, "--grace-seconds") or 30)
            stop = int(re.search(r"^TimeoutStopSec=(\d+)", text, re.M).group(1))
            if stop <= grace:
                problem(where, f"TimeoutStopSec={stop} must exceed --grace-seconds {grace}")


def check_slurm(source, known_flags):
    folder = os.path.join(source, "deploy", "slurm")
    for name in sorted(os.listdir(folder)):
        where = f"deploy/slurm/{name}"
        path = os.path.join(folder, name)
        syntax = subprocess.run(["bash", "-n", path], capture_output=True, text=True)
        if syntax.returncode != 0:
            problem(where, f"bash -n: {syntax.stderr.strip()}")
        with open(path) as f:
            text = "\n".join(line for line in f.read().splitlines()
                             if not line.lstrip().startswith("#") or line.startswith("#SBATCH"))
        binary = "lrsweep-worker" if "worker" in name else "lrsweep-coordinator"
        for flag in set(re.findall(r"^\s*(?:\"\$\w+\"\s+)?(--[a-z-]+)", text, re.M)) | set(
                re.findall(r"\s(--[a-z][a-z-]+)\s+\"", text)):
            if flag not in known_flags[binary]:
                problem(where, f"{binary} has no flag {flag}")
        signal = re.search(r"#SBATCH --signal=B:TERM@(\d+)", text)
        if not signal:
            problem(where, "no #SBATCH --signal=B:TERM@N: a time limit would kill without notice")
        grace = re.search(r"LRSWEEP_GRACE_SECONDS:-(\d+)", text)
        if grace and signal and int(grace.group(1)) >= int(signal.group(1)):
            problem(where, "the worker's grace period must end before Slurm's signal lead time")


def main():
    source, bin_dir = sys.argv[1], sys.argv[2]
    known_flags = {b: help_flags(bin_dir, b) for b in BINARIES}
    check_kubernetes(source, known_flags, env_names_in_source(source))
    check_systemd(source, known_flags)
    check_slurm(source, known_flags)
    for p in problems:
        print(p)
    print(f"deploy files: {len(problems)} problems" if problems else "deploy files: all checks hold")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
