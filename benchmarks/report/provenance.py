"""What two runs' environments differ in (run.json's ``environment``, copied into results.json).

Numbers are bit-identical between runs of one commit, config and seed only with the same library
versions on the same kind of CPU; on another kind (another vector capability, AVX2 against AVX-512)
float sums round otherwise and bpc moves by about the seed spread. Each difference is a phrase,
"the CPU's vector capability (AVX2 then AVX512)", for the report's "not like for like" sentence
and for one warning line each from ``report --compare``.
"""

from __future__ import annotations

from typing import Any

NOT_RECORDED = "not recorded"  # by a run made before textgen-bench recorded it


def environment_differences(then: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """The library versions, lock, CPU capability and CPU model that differ between two environments."""
    differences = []
    libraries = library_changes(then.get("libraries") or {}, now.get("libraries") or {})
    if libraries:
        differences.append(f"library versions ({', '.join(libraries)})")
    facts = (
        ("the lock", lock_words),
        ("the CPU's vector capability", cpu_capability),
        ("the CPU model", cpu_model),
    )
    for what, words in facts:
        before, after = words(then), words(now)
        if before != after:
            differences.append(f"{what} ({before} then {after})")
    return differences


def library_changes(then: dict[str, str], now: dict[str, str]) -> list[str]:
    """'transformers 5.24.0 then 5.25.0' for each library both runs recorded at another version."""
    return [
        f"{name} {then[name]} then {now[name]}" for name in now if name in then and then[name] != now[name]
    ]


def lock_words(env: dict[str, Any]) -> str:
    """'requirements.lock fdf11014' (its sha256's first 8 digits), 'no lock' or 'not recorded'."""
    if "lock" not in env:
        return NOT_RECORDED
    lock = env["lock"]
    return f"{lock.get('file')} {str(lock.get('sha256'))[:8]}" if lock else "no lock"


def cpu_capability(env: dict[str, Any]) -> str:
    """The vector instructions torch's kernels used (AVX512, AVX2, …), or 'not recorded'."""
    return (env.get("cpu") or {}).get("capability") or NOT_RECORDED


def cpu_model(env: dict[str, Any]) -> str:
    """The CPU's model name; for a run that did not record it, its device's name when that is a CPU."""
    model = (env.get("cpu") or {}).get("model")
    device = env.get("device") or {}
    if not model and device.get("type") == "cpu":
        model = device.get("name")
    return model or NOT_RECORDED


def machine_differences(then: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """The device the throughput was measured on, when it differs (a CPU's model is left to
    :func:`environment_differences`, which names it for every device)."""
    before, after = then.get("device") or {}, now.get("device") or {}
    keys = ["type", "cores", "torch_threads"]
    if not before.get("type") == after.get("type") == "cpu":
        keys.append("name")
    if all(before.get(k) == after.get(k) for k in keys):
        return []
    return [f"the machine ({device_words(before)} then {device_words(after)})"]


def device_words(device: dict) -> str:
    """'AMD EPYC (cpu, 2 cores)' from an environment's device entry."""
    name = device.get("name") or "unknown device"
    cores = f", {device['cores']} cores" if device.get("cores") else ""
    return f"{name} ({device.get('type') or '?'}{cores})"
